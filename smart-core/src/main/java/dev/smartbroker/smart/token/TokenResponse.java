package dev.smartbroker.smart.token;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.support.SafeText;
import org.keycloak.util.JsonSerialization;

/**
 * A successful answer of Cerner's token endpoint, parsed once (docs/ehr/cerner.md §2.5, §2.8, §3.3).
 *
 * <p>Launch context comes from this JSON, never from the access token, which is an opaque JWE
 * (docs/ehr/cerner.md §2.6). {@code toString} never prints a token.
 */
public record TokenResponse(String accessToken, String tokenType, long expiresIn, String scope, String refreshToken,
                           String idToken, String patient, String encounter, String tenant, String user, String username,
                           Boolean needPatientBanner, String smartStyleUrl) {

    /** Parses a 2xx body; a body without an access token is an error answer, not a token response. */
    public static TokenResponse parse(String body) throws UpstreamException {
        JsonNode json;
        try {
            json = JsonSerialization.readValue(body, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "token response is not JSON");
        }
        if (json == null || !json.isObject()) {
            throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "token response is not a JSON object");
        }
        String accessToken = text(json, "access_token");
        if (accessToken == null) {
            throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "token response has no access_token");
        }
        long expiresIn = json.path("expires_in").canConvertToLong() ? json.path("expires_in").asLong() : 0;
        if (expiresIn <= 0 && json.path("expires_in").isTextual()) {
            try {
                expiresIn = Long.parseLong(json.path("expires_in").asText().trim());
            } catch (NumberFormatException e) {
                expiresIn = 0;
            }
        }
        JsonNode banner = json.get(Smart.NEED_PATIENT_BANNER);
        Boolean needBanner = banner == null || banner.isNull() ? null : banner.isBoolean() ? banner.asBoolean()
                : Boolean.valueOf(banner.asText());
        return new TokenResponse(accessToken, text(json, "token_type"), expiresIn, text(json, "scope"),
                text(json, "refresh_token"), text(json, "id_token"), text(json, Smart.PATIENT), text(json, Smart.ENCOUNTER),
                text(json, Smart.TENANT), text(json, Smart.USER), text(json, Smart.USERNAME), needBanner,
                text(json, Smart.SMART_STYLE_URL));
    }

    /** Cerner's error body: {@code {"error": ..., "error_uri": ...}} (docs/ehr/cerner.md §7). */
    public static UpstreamException error(int status, String body, UpstreamException.Kind fallback) {
        String error = null;
        String errorUri = null;
        try {
            JsonNode json = JsonSerialization.readValue(body, JsonNode.class);
            if (json != null && json.isObject()) {
                error = text(json, "error");
                errorUri = text(json, "error_uri");
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: classified below by status only
        }
        UpstreamException.Kind kind = fallback;
        if ("invalid_grant".equals(error)) {
            kind = UpstreamException.Kind.INVALID_GRANT;
        } else if ("invalid_client".equals(error) || "unauthorized_client".equals(error) || status == 401) {
            kind = UpstreamException.Kind.INVALID_CLIENT;
        }
        error = SafeText.bounded(error);
        return new UpstreamException(kind, "token endpoint answered HTTP " + status + (error == null ? "" : " " + error),
                error, errorUri != null && errorUri.length() > 2048 ? null : errorUri, null);
    }

    private static String text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText();
        return s == null || s.isBlank() ? null : s;
    }

    @Override
    public String toString() {
        return "TokenResponse[tenant=" + tenant + ", scope=" + scope + ", expiresIn=" + expiresIn
                + ", refreshToken=" + (refreshToken != null) + ", idToken=" + (idToken != null) + "]";
    }
}
