package dev.smartbroker.itclock;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/**
 * TEST ONLY: serves {@code /realms/master/it-clock}, through which the integration tests shift Keycloak's clock
 * instead of waiting for tokens to expire (docs/keycloak-notes.md §17). Only {@code integration-tests} copies this
 * jar into Keycloak's {@code providers/}; the demo, the product jars and releases never contain it. Deployed by
 * mistake, it still binds nothing and answers only a master-realm admin calling from loopback, and it says so in the
 * log at every start.
 */
public final class ItClockResourceProviderFactory implements RealmResourceProviderFactory {

    public static final String ID = "it-clock";
    private static final Logger LOG = Logger.getLogger(ItClockResourceProviderFactory.class);

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new ItClockResource(session);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        LOG.warnf("Test-only provider '%s' is deployed: a master-realm admin calling from loopback can shift this server's"
                + " clock. It belongs in the integration tests only.", ID);
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return ID;
    }
}
