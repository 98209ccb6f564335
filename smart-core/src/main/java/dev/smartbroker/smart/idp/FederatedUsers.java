package dev.smartbroker.smart.idp;

import java.util.Locale;

/**
 * How a clinician from a Cerner tenant becomes a Keycloak user. Ids only make sense within their tenant
 * (docs/ehr/cerner.md §1.1), so the federated identity is keyed by tenant and fhirUser reference; the username is
 * derived from the same stable ids, never from a name (names change, ids do not).
 */
final class FederatedUsers {

    private FederatedUsers() {
    }

    /** The federated identity's user id: {@code <tenant>/<ResourceType>/<id>}. */
    static String federatedId(String tenant, String resourceType, String resourceId) {
        return tenant + "/" + resourceType + "/" + resourceId;
    }

    /** A valid Keycloak username (no characters the default user profile forbids). */
    static String username(String alias, String resourceType, String resourceId) {
        String raw = (alias + "." + resourceType + "." + resourceId).toLowerCase(Locale.ROOT);
        return raw.replaceAll("[^a-z0-9._@+-]", "-");
    }
}
