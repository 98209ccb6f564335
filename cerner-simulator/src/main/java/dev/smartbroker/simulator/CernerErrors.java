package dev.smartbroker.simulator;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Cerner's error shapes: an OAuth2 {@code error} plus {@code error_uri} pointing at a page named by a URN
 * (cerner-smart-facts §2.3, §7). URNs seen in the wild are used where known; the others follow the same form.
 */
final class CernerErrors {

    static final String PREFIX = "urn:cerner:error:authorization-server:";
    static final String INVALID_LAUNCH = PREFIX + "smart-v1:grant:launch:invalid-launch-code";
    static final String LAUNCH_REQUIRED = PREFIX + "smart-v1:grant:launch:code-required";
    static final String ACCESS_DENIED = PREFIX + "oauth2:grant:access-denied";
    static final String MISSING_PATIENT = PREFIX + "oauth2:grant:missing-patient";
    static final String INVALID_AUDIENCE = PREFIX + "oauth2:grant:invalid-audience";
    static final String INVALID_CODE_CHALLENGE = PREFIX + "oauth2:grant:invalid-code-challenge";
    static final String UNSUPPORTED_RESPONSE_TYPE = PREFIX + "oauth2:grant:unsupported-response-type";
    static final String GRANT_EMPTY_SCOPES = PREFIX + "oauth2:grant:empty-scopes";
    static final String CODE_INVALID = PREFIX + "oauth2:token:code-invalid-or-expired";
    static final String INVALID_CLIENT_CREDENTIALS = PREFIX + "oauth2:token:invalid-client-credentials";
    static final String INVALID_AUTHORIZATION_HEADER = PREFIX + "oauth2:token:invalid-authorization-header";
    static final String INVALID_SIGNATURE = PREFIX + "client-assertion:jwt-bearer:invalid-signature";
    static final String INVALID_ASSERTION = PREFIX + "client-assertion:jwt-bearer:invalid-assertion";
    static final String INVALID_TENANT = PREFIX + "oauth2:token:invalid-tenant";
    static final String TOKEN_EMPTY_SCOPES = PREFIX + "oauth2:token:empty-scopes";
    static final String INVALID_REFRESH_TOKEN = PREFIX + "oauth2:token:refresh-token-invalid";
    /** UNCONFIRMED: Cerner documents throttling of refreshes more often than once a minute, not its error. */
    static final String REFRESH_THROTTLED = PREFIX + "oauth2:token:refresh-throttled";
    static final String UNSUPPORTED_GRANT = PREFIX + "oauth2:token:unsupported-grant-type";
    static final String PKCE_MISMATCH = PREFIX + "oauth2:token:code-verifier-invalid";

    private CernerErrors() {
    }

    static String uri(String base, String urn, String client, String tenant, boolean authorize) {
        return base + "/errors/" + URLEncoder.encode(urn, StandardCharsets.UTF_8) + "/instances/" + UUID.randomUUID()
                + "?" + (authorize ? "persona=provider&" : "") + "client=" + URLEncoder.encode(client == null ? "unknown" : client, StandardCharsets.UTF_8)
                + "&tenant=" + URLEncoder.encode(tenant == null ? "" : tenant, StandardCharsets.UTF_8);
    }
}
