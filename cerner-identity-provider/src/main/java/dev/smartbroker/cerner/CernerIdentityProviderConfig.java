package dev.smartbroker.cerner;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.keycloak.models.IdentityProviderModel;

/**
 * One Cerner tenant (one Code Console registration): the SMART core's tenant config with the Cerner profile. Existing
 * realm exports ({@code providerId: "cerner"}) keep their keys and meaning.
 */
public final class CernerIdentityProviderConfig extends SmartTenantConfig {

    private static final long serialVersionUID = 1L;

    CernerIdentityProviderConfig(SmartProfile profile) {
        super(profile);
    }

    CernerIdentityProviderConfig(IdentityProviderModel model, SmartProfile profile) {
        super(model, profile);
    }

    /**
     * A tenant as a server with default settings would read it: for checking realm exports and configuration as code
     * without starting Keycloak.
     */
    public static CernerIdentityProviderConfig withDefaultSettings(IdentityProviderModel model) {
        return new CernerIdentityProviderConfig(model, CernerIdentityProviderFactory.profile(CernerIdentityProviderFactory.DEFAULT_TRUSTED_HOSTS));
    }
}
