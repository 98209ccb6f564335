package dev.smartbroker.smart.tenant;

import dev.smartbroker.smart.SmartProfile;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * An identity-provider type whose instances are SMART tenants: implemented by each profile's identity-provider
 * factory, so that the core finds every tenant of a realm, whatever its EHR, without naming a profile.
 */
public interface SmartTenantType {

    /** The profile of this type's tenants. */
    SmartProfile profile();

    /** A typed view of one of this type's identity providers. */
    SmartTenantConfig config(IdentityProviderModel model);

    /**
     * Called when a valid tenant of this type is saved through the admin console or REST (not on realm import): runs
     * the connection check when the tenant asks for it, refusing the save with the check's advice when it fails.
     */
    void checkOnSave(SmartTenantConfig config, KeycloakSession session, RealmModel realm);
}
