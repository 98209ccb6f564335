package dev.smartbroker.generic;

import java.util.List;
import java.util.Set;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.idp.SmartIdentityProviderFactory;
import dev.smartbroker.smart.support.SpiSettings;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.TenantFormFields;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.provider.ProviderConfigProperty;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

/**
 * The "SMART on FHIR EHR" identity provider type: a tenant of any EHR that follows SMART App Launch 2.x, with the
 * generic profile ({@link GenericSmartProfile}).
 */
public final class GenericSmartIdentityProviderFactory extends SmartIdentityProviderFactory {

    public static final String PROVIDER_ID = GenericSmartProfile.PROVIDER_ID;

    private static final List<ProviderConfigProperty> PROPERTIES = TenantFormFields.of(new GenericSmartProfile())
            .insertAfter(FHIR_BASE_URL, TENANT_ID, "Tenant id", ProviderConfigProperty.STRING_TYPE, null, false,
                    "The id apps find in the 'tenant' claim and that keys this EHR's users. Empty: the identity provider's"
                            + " alias. Give each EHR its own: users of two EHRs with the same id would be one user.")
            .insertAfter(TENANT_ID, AUTHORIZATION_HOSTS, "Authorization hosts", ProviderConfigProperty.MULTIVALUED_STRING_TYPE,
                    null, false, "Host names, besides the FHIR host, where this EHR's discovery may put its authorize, token"
                            + " and key endpoints (e.g. auth.example-ehr.org). An endpoint anywhere else is refused.")
            .insertAfter(AUTHORIZATION_HOSTS, ISSUER, "Issuer", ProviderConfigProperty.STRING_TYPE, null, false,
                    "The 'iss' of the EHR's id_tokens. Empty: the 'issuer' of its SMART discovery document.")
            .build();

    @Override
    public String getName() {
        return "SMART on FHIR EHR";
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    protected SmartProfile createProfile(SpiSettings settings) {
        return new GenericSmartProfile();
    }

    @Override
    protected Set<String> profileSettingNames() {
        return Set.of();
    }

    @Override
    protected SmartTenantConfig newConfig(IdentityProviderModel model, SmartProfile profile) {
        return new SmartTenantConfig(model, profile);
    }

    @Override
    protected SmartTenantConfig newConfig(SmartProfile profile) {
        return new SmartTenantConfig(profile);
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return PROPERTIES;
    }
}
