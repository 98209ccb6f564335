package dev.smartbroker.smart.claims;

import org.keycloak.models.KeycloakSession;
import org.keycloak.protocol.oidc.token.TokenPostProcessor;
import org.keycloak.protocol.oidc.token.TokenPostProcessorFactory;

/** Registers {@link SmartLaunchTokenPostProcessor} with Keycloak's token-interceptor SPI. */
public final class SmartLaunchTokenPostProcessorFactory implements TokenPostProcessorFactory {

    public static final String PROVIDER_ID = "smart-launch-binding";

    @Override
    public TokenPostProcessor create(KeycloakSession session) {
        return new SmartLaunchTokenPostProcessor(session);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
