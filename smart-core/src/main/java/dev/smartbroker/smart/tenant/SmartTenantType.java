package dev.smartbroker.smart.tenant;

import dev.smartbroker.smart.SmartProfile;
import org.keycloak.models.IdentityProviderModel;

/**
 * An identity-provider type whose instances are SMART tenants: implemented by each profile's identity-provider
 * factory, so that the core finds every tenant of a realm, whatever its EHR, without naming a profile.
 */
public interface SmartTenantType {

    /** The profile of this type's tenants. */
    SmartProfile profile();

    /** A typed view of one of this type's identity providers. */
    SmartTenantConfig config(IdentityProviderModel model);
}
