package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * How the authorization server answers: token responses, token errors and errors redirected to an app. Cerner sends
 * {@code error} plus an {@code error_uri} naming a URN and its own headers (§2.3, §2.5, §7); a generic tenant sends
 * {@code error} plus {@code error_description} (RFC 6749 §5.2, §4.1.2.1) and only the headers RFC 6749 asks for.
 */
final class OAuthReplies {

    private final Urls urls;

    OAuthReplies(Urls urls) {
        this.urls = urls;
    }

    void tokenSuccess(Exchange ex, String tenant, Map<String, Object> body) throws IOException {
        tokenHeaders(ex, tenant);
        ex.json(200, body);
    }

    /**
     * A token error: Cerner's error and error_uri, no error_description (§2.3, §7), or the generic error and
     * error_description, the URN's explanation.
     */
    void tokenError(Exchange ex, int status, String error, String urn, String client, String tenant) throws IOException {
        tokenHeaders(ex, tenant);
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error);
        if (urls.generic(tenant)) {
            body.put("error_description", CernerErrors.explain(urn));
        } else {
            body.put("error_uri", CernerErrors.uri(urls.baseUrl(), urn, client, tenant, false));
        }
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
        if (urls.generic(tenant)) {
            params.put("error_description", CernerErrors.explain(urn));
        } else {
            params.put("error_uri", CernerErrors.uri(urls.baseUrl(), urn, client, tenant, true));
        }
        ex.redirect(302, withQuery(redirect, params));
    }

    /** The headers of token responses: Cerner's (§2.5), or no-store, no-cache and CORS for a generic tenant. */
    void tokenHeaders(Exchange ex, String tenant) {
        ex.addHeader("Cache-Control", "no-store");
        ex.addHeader("Pragma", "no-cache");
        if (urls.generic(tenant)) {
            ex.addHeader("Access-Control-Allow-Origin", "*");
            ex.addHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept");
            return;
        }
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
