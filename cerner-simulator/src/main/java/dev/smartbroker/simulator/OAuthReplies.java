package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** How the authorization server answers: token responses, token errors and errors redirected to an app (§2.3, §2.5, §7). */
final class OAuthReplies {

    private final Urls urls;

    OAuthReplies(Urls urls) {
        this.urls = urls;
    }

    void tokenSuccess(Exchange ex, Map<String, Object> body) throws IOException {
        tokenHeaders(ex);
        ex.json(200, body);
    }

    /** Cerner's token error: error and error_uri, no error_description (§2.3, §7). */
    void tokenError(Exchange ex, int status, String error, String urn, String client, String tenant) throws IOException {
        tokenHeaders(ex);
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_uri", CernerErrors.uri(urls.baseUrl(), urn, client, tenant, false));
        ex.json(status, body);
    }

    /** Redirects an error to the (verified) redirect URI: state, error and Cerner's error_uri (§2.3). */
    void redirectError(Exchange ex, String redirect, String st, String error, String urn, String client, String tenant)
            throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        if (st != null) {
            params.put("state", st);
        }
        params.put("error", error);
        params.put("error_uri", CernerErrors.uri(urls.baseUrl(), urn, client, tenant, true));
        ex.redirect(302, withQuery(redirect, params));
    }

    /** The headers of Cerner's token responses (§2.5). */
    static void tokenHeaders(Exchange ex) {
        ex.addHeader("Cache-Control", "no-store");
        ex.addHeader("Pragma", "no-cache");
        ex.addHeader("Cerner-Correlation-ID", UUID.randomUUID().toString());
        ex.addHeader("Server", "cloud_authorization_server1");
        ex.addHeader("Access-Control-Allow-Origin", "*");
        ex.addHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept, Cerner-Correlation-Id");
    }

    /** Appends query parameters, with & when the URI already has a query. */
    static String withQuery(String uri, Map<String, String> params) {
        StringBuilder out = new StringBuilder(uri);
        char sep = uri.contains("?") ? '&' : '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            out.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return out.toString();
    }
}
