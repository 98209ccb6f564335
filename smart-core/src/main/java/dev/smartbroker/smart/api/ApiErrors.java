package dev.smartbroker.smart.api;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** OAuth2-style JSON answers of the realm's SMART API, never cached. */
final class ApiErrors {

    private ApiErrors() {
    }

    static Response error(Response.Status status, String error, String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", description);
        Response.ResponseBuilder builder = Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body)
                .cacheControl(noStore()).header("Pragma", "no-cache");
        if (status == Response.Status.UNAUTHORIZED) {
            builder.header("WWW-Authenticate", "Bearer error=\"" + error + "\"");
        }
        return builder.build();
    }

    static CacheControl noStore() {
        CacheControl cacheControl = new CacheControl();
        cacheControl.setNoStore(true);
        cacheControl.setNoTransform(false);
        return cacheControl;
    }
}
