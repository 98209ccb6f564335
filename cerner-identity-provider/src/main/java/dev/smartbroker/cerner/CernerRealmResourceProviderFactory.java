package dev.smartbroker.cerner;

import java.util.Set;

import dev.smartbroker.smart.api.SmartApiProviderFactory;
import dev.smartbroker.smart.api.SmartRealmResourceProviderFactory;
import dev.smartbroker.smart.tenant.SmartTenantConfig;

/**
 * The realm's SMART API again at {@code /realms/{realm}/cerner}: the path Cerner users registered before the core had
 * a neutral one ({@code /cerner/jwks} in Cerner Central, {@code /cerner/launch-token} in their apps). It accepts the
 * {@code cerner-launch-token} client scope of those realms, and its JWKS publishes exactly the RS384 and ES384 keys
 * Cerner accepts for client assertions (docs/ehr/cerner.md §3.2).
 */
public final class CernerRealmResourceProviderFactory extends SmartApiProviderFactory {

    public static final String PROVIDER_ID = "cerner";
    public static final String TOKEN_SCOPE = "cerner-launch-token";

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    protected Set<String> tokenScopes() {
        return Set.of(TOKEN_SCOPE, SmartRealmResourceProviderFactory.TOKEN_SCOPE);
    }

    @Override
    protected Set<String> assertionAlgorithms() {
        return Set.of(SmartTenantConfig.ALG_RS384, SmartTenantConfig.ALG_ES384);
    }
}
