package dev.smartbroker.smart.api;

import java.util.Set;

import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.TenantIndex;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * Serves the realm's SMART API at {@code /realms/{realm}/smart} (launch-token, system-token, jwks), and holds the node's
 * {@link TenantIndex}: this factory is deployed wherever the core is, once per node.
 */
public final class SmartRealmResourceProviderFactory extends SmartApiProviderFactory implements TenantIndex.Holder {

    public static final String PROVIDER_ID = "smart";
    /** The client scope an admin assigns to an app to let it fetch its launch's EHR token. */
    public static final String TOKEN_SCOPE = "smart-launch-token";

    private final TenantIndex tenantIndex = new TenantIndex();

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        super.postInit(factory);
        factory.register(tenantIndex::onEvent);
    }

    @Override
    public TenantIndex tenantIndex() {
        return tenantIndex;
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    protected Set<String> tokenScopes() {
        return Set.of(TOKEN_SCOPE);
    }

    @Override
    protected Set<String> assertionAlgorithms() {
        // SMART clients sign with RS384 or ES384 (docs/ehr/smart-app-launch.md §7); some EHRs take the 256-bit ones.
        return Set.of(SmartTenantConfig.ALG_RS384, SmartTenantConfig.ALG_ES384, "RS256", "ES256");
    }
}
