package dev.smartbroker.smart.backend;

import java.util.Set;

import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.keycloak.OAuth2Constants;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.models.KeycloakSession;

/** The SMART Backend Services token request (docs/ehr/smart-app-launch.md §10), signed with a realm key. */
public final class BackendRequests {

    private BackendRequests() {
    }

    /** client_credentials at {@code tokenEndpoint} for {@code systemAccount}, with a fresh client assertion. */
    public static SimpleHttpRequest clientCredentials(KeycloakSession session, SmartTenantConfig config, String tokenEndpoint,
                                                      String systemAccount, Set<String> scopes, int assertionLifetimeSeconds) {
        String assertion = ClientAssertions.sign(session, config.assertionAlgorithm(),
                ClientAssertions.claims(systemAccount, tokenEndpoint, assertionLifetimeSeconds));
        return UpstreamHttp.client(session, config).doPost(tokenEndpoint)
                .header("Accept", "application/json")
                .param(OAuth2Constants.GRANT_TYPE, OAuth2Constants.CLIENT_CREDENTIALS)
                .param(OAuth2Constants.SCOPE, String.join(" ", scopes))
                .param(OAuth2Constants.CLIENT_ASSERTION_TYPE, OAuth2Constants.CLIENT_ASSERTION_TYPE_JWT)
                .param(OAuth2Constants.CLIENT_ASSERTION, assertion);
    }
}
