package dev.smartbroker.cerner;

import java.util.Map;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/** Serves {@link CernerRealmResource} at {@code /realms/{realm}/cerner}. */
public final class CernerRealmResourceProviderFactory implements RealmResourceProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "cerner";

    private CernerRealmResourceSettings settings = new CernerRealmResourceSettings(CernerRealmResourceSettings.DEFAULT_JWKS_MAX_AGE_SECONDS);

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        CernerRealmResource resource = new CernerRealmResource(session, settings);
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
        settings = CernerRealmResourceSettings.from(config);
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
        return settings.describe();
    }
}
