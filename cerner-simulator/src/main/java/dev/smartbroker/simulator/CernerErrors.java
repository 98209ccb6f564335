package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Cerner's error shapes: an OAuth2 {@code error} plus {@code error_uri} pointing at a page named by a URN
 * (docs/ehr/cerner.md §2.3, §7). URNs seen in the wild are used where known (marked "seen"); the others are
 * made up in the same form and are UNCONFIRMED.
 */
final class CernerErrors {

    static final String PREFIX = "urn:cerner:error:authorization-server:";
    /** Seen: forum 6420 (made-up or stale launch). */
    static final String INVALID_LAUNCH = PREFIX + "smart-v1:grant:launch:invalid-launch-code";
    /** Seen: forum 0473, Google group GF25peTI9UQ (provider request without a launch). */
    static final String LAUNCH_REQUIRED = PREFIX + "smart-v1:grant:launch:code-required";
    static final String ACCESS_DENIED = PREFIX + "oauth2:grant:access-denied";
    /** Seen: Google group RnQ3xMboX0k (patient/ scopes without a patient). */
    static final String MISSING_PATIENT = PREFIX + "oauth2:grant:missing-patient";
    /** UNCONFIRMED (docs/ehr/cerner.md §8.7): the URN for a missing or wrong aud. */
    static final String INVALID_AUDIENCE = PREFIX + "oauth2:grant:invalid-audience";
    static final String INVALID_CODE_CHALLENGE = PREFIX + "oauth2:grant:invalid-code-challenge";
    static final String UNSUPPORTED_RESPONSE_TYPE = PREFIX + "oauth2:grant:unsupported-response-type";
    static final String GRANT_EMPTY_SCOPES = PREFIX + "oauth2:grant:empty-scopes";
    /** Seen: Cerner docs (code reused, expired, or redirect_uri differs from the authorize request). */
    static final String CODE_INVALID = PREFIX + "oauth2:token:code-invalid-or-expired";
    /** Seen: forum 0040. */
    static final String INVALID_CLIENT_CREDENTIALS = PREFIX + "oauth2:token:invalid-client-credentials";
    /** Seen: forums 7719, 0761 (assertion sent as Authorization: Bearer). */
    static final String INVALID_AUTHORIZATION_HEADER = PREFIX + "oauth2:token:invalid-authorization-header";
    /** Seen: forum 8191. */
    static final String INVALID_SIGNATURE = PREFIX + "client-assertion:jwt-bearer:invalid-signature";
    static final String INVALID_ASSERTION = PREFIX + "client-assertion:jwt-bearer:invalid-assertion";
    static final String ASSERTION_REPLAYED = PREFIX + "client-assertion:jwt-bearer:replayed-jti";
    /** Seen: forum 4126, with invalid_grant. */
    static final String INVALID_TENANT = PREFIX + "oauth2:token:invalid-tenant";
    /** Seen: forum 0436 and Google groups (nothing registered was requested). */
    static final String TOKEN_EMPTY_SCOPES = PREFIX + "oauth2:token:empty-scopes";
    static final String INVALID_SCOPE = PREFIX + "oauth2:token:invalid-scope";
    static final String INVALID_REFRESH_TOKEN = PREFIX + "oauth2:token:refresh-token-invalid";
    /** UNCONFIRMED: Cerner documents throttling of refreshes more often than once a minute, not its error. */
    static final String REFRESH_THROTTLED = PREFIX + "oauth2:token:refresh-throttled";
    static final String UNSUPPORTED_GRANT = PREFIX + "oauth2:token:unsupported-grant-type";
    static final String PKCE_MISMATCH = PREFIX + "oauth2:token:code-verifier-invalid";

    /** What the error page says about each URN: Cerner recommends showing error_uri as "more information" (§2.3). */
    private static final Map<String, String> EXPLANATIONS = Map.ofEntries(
            Map.entry(INVALID_LAUNCH, "The launch value is unknown, expired, already used, or belongs to another tenant or"
                    + " application. Launch the application again from the EHR."),
            Map.entry(LAUNCH_REQUIRED, "This provider application must be launched from the EHR: the request carried no launch value."),
            Map.entry(ACCESS_DENIED, "The user (or the authorization server) denied the application's request."),
            Map.entry(MISSING_PATIENT, "patient/ scopes were requested, but the launch has no patient in context."),
            Map.entry(INVALID_AUDIENCE, "The aud parameter is missing or does not name this tenant's FHIR base exactly."),
            Map.entry(INVALID_CODE_CHALLENGE, "PKCE: only code_challenge_method=S256 is accepted, and this tenant may require a challenge."),
            Map.entry(UNSUPPORTED_RESPONSE_TYPE, "Only response_type=code is supported."),
            Map.entry(GRANT_EMPTY_SCOPES, "None of the requested scopes is registered for this application (wildcards are not supported)."),
            Map.entry(CODE_INVALID, "The authorization code is unknown, expired or already used, or redirect_uri differs from the"
                    + " authorization request."),
            Map.entry(INVALID_CLIENT_CREDENTIALS, "The client could not be authenticated with the credentials sent."),
            Map.entry(INVALID_AUTHORIZATION_HEADER, "The Authorization header is not usable here: send client assertions in the form"
                    + " body, not as a Bearer token."),
            Map.entry(INVALID_SIGNATURE, "The client assertion's signature does not verify with a key of the registered JWKS."),
            Map.entry(INVALID_ASSERTION, "The client assertion is malformed or its header or claims (alg, kid, typ, iss, sub, aud,"
                    + " exp, jti, jku) are not acceptable."),
            Map.entry(ASSERTION_REPLAYED, "The client assertion's jti was already used."),
            Map.entry(INVALID_TENANT, "The grant belongs to another tenant than the token endpoint that was called."),
            Map.entry(TOKEN_EMPTY_SCOPES, "None of the requested scopes is registered for this account."),
            Map.entry(INVALID_SCOPE, "online_access and offline_access cannot be used with client_credentials."),
            Map.entry(INVALID_REFRESH_TOKEN, "The refresh token is unknown, revoked, of another client, or its EHR session ended."),
            Map.entry(REFRESH_THROTTLED, "The refresh token was used again too soon; retry later."),
            Map.entry(UNSUPPORTED_GRANT, "The grant_type is missing or not supported."),
            Map.entry(PKCE_MISMATCH, "The code_verifier does not match the authorization request's code_challenge."));

    private CernerErrors() {
    }

    static String uri(String base, String urn, String client, String tenant, boolean authorize) {
        return base + "/errors/" + URLEncoder.encode(urn, StandardCharsets.UTF_8) + "/instances/" + UUID.randomUUID()
                + "?" + (authorize ? "persona=provider&" : "") + "client=" + URLEncoder.encode(client == null ? "unknown" : client, StandardCharsets.UTF_8)
                + "&tenant=" + URLEncoder.encode(tenant == null ? "" : tenant, StandardCharsets.UTF_8);
    }

    static String explain(String urn) {
        return EXPLANATIONS.getOrDefault(urn, "No further explanation is available for this error.");
    }

    /**
     * The page error_uri links to, {@code /errors/{urn}/instances/{id}}: what the URN means (Cerner shows it as "more
     * information", §2.3). {@code segments} is the request path split at slashes.
     */
    static void page(Exchange ex, String[] segments) throws IOException {
        if (segments.length != 4 || !segments[2].equals("instances")) {
            ex.html(404, Html.page("Not found", "<h1>Not found</h1>"));
            return;
        }
        String urn = URLDecoder.decode(segments[1], StandardCharsets.UTF_8);
        Map<String, String> q = ex.queryParams();
        ex.tenant = q.get("tenant");
        StringBuilder html = new StringBuilder("<h1>Authorization error</h1>")
                .append("<p id=\"explanation\">").append(Html.esc(explain(urn))).append("</p>")
                .append("<table><tr><th>Error</th><td><code id=\"urn\">").append(Html.esc(urn)).append("</code></td></tr>")
                .append("<tr><th>Instance</th><td><code id=\"instance\">").append(Html.esc(segments[3])).append("</code></td></tr>");
        for (String key : List.of("client", "tenant", "persona")) {
            if (q.get(key) != null) {
                html.append("<tr><th>").append(key).append("</th><td><code id=\"").append(key).append("\">")
                        .append(Html.esc(q.get(key))).append("</code></td></tr>");
            }
        }
        html.append("</table>");
        ex.html(200, Html.page("Authorization error", html.toString()));
    }
}
