package dev.smartbroker.smart.launch;

import dev.smartbroker.smart.Smart;
import java.util.Map;
import java.util.Set;

import dev.smartbroker.smart.support.SpiSettings;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/**
 * Serves the SMART Launch URI at {@code /realms/{realm}/smart-launch/{client_id}}.
 *
 * <p>Setting: {@code --spi-realm-restapi-extension--smart-launch--pending-launch-seconds} (default 300): how long a
 * launch waits for the app's authorization request.
 */
public final class SmartLaunchResourceProviderFactory implements RealmResourceProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = Smart.LAUNCH_URI_PATH;
    static final long DEFAULT_PENDING_LAUNCH_SECONDS = 300;

    private long pendingLaunchSeconds = DEFAULT_PENDING_LAUNCH_SECONDS;

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        SmartLaunchResource resource = new SmartLaunchResource(session, pendingLaunchSeconds);
        return new RealmResourceProvider() {
            @Override
            public Object getResource() {
                return resource;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void init(Config.Scope config) {
        long configured = SpiSettings.of(config, "realm-restapi-extension", PROVIDER_ID, Set.of("pending-launch-seconds"))
                .getLong("pending-launch-seconds", DEFAULT_PENDING_LAUNCH_SECONDS);
        pendingLaunchSeconds = Math.max(10, Math.min(3600, configured));
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("pending-launch-seconds", String.valueOf(pendingLaunchSeconds));
    }
}
