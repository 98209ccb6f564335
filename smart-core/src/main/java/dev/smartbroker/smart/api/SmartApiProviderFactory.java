package dev.smartbroker.smart.api;

import java.util.Map;
import java.util.Set;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/**
 * Serves the realm's SMART API ({@link SmartRealmResource}) under {@code /realms/{realm}/<id>}: the core serves it at
 * {@code smart}; a profile may serve it again under a path of its own (Cerner: {@code cerner}, the path its early users
 * registered), with the client scopes it accepts and the assertion algorithms its JWKS publishes.
 */
public abstract class SmartApiProviderFactory implements RealmResourceProviderFactory, ServerInfoAwareProviderFactory {

    private SmartApiSettings settings = new SmartApiSettings(SmartApiSettings.DEFAULT_JWKS_MAX_AGE_SECONDS);

    /** The client scopes that let an app fetch its launch's EHR token here. */
    protected abstract Set<String> tokenScopes();

    /** The signing algorithms of the realm keys this path's JWKS publishes (those the EHRs accept for assertions). */
    protected abstract Set<String> assertionAlgorithms();

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        SmartRealmResource resource = new SmartRealmResource(session, settings, tokenScopes(), assertionAlgorithms(), getId());
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
        settings = SmartApiSettings.from(config, getId());
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return settings.describe();
    }
}
