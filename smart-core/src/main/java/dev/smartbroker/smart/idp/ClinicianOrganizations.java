package dev.smartbroker.smart.idp;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.OrganizationModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.organization.OrganizationProvider;

/**
 * Makes a clinician a managed member of the Keycloak organization (the hospital) their tenant's identity provider is
 * linked to, as Keycloak's own "First Broker Login - Conditional Organization" step does for a brokered user: the
 * broker creates and links clinicians itself ({@link ClinicianAccounts}), before that step could run, so it never
 * does. Apps then find the organization in their tokens through Keycloak's {@code organization} client scope
 * (README, "Organizations").
 *
 * <p>Checked on every launch, so that clinicians created before the tenant was linked join on their next launch. The
 * membership is added in a transaction of its own: two first launches at once (two tabs) would otherwise both add it
 * and one would fail at commit; here the loser finds the winner's membership and the launch goes on. Memberships are
 * only ever added: when an admin unlinks the tenant or removes a clinician from the organization, the broker leaves
 * that alone (it adds the membership again only while the tenant is still linked).
 */
final class ClinicianOrganizations {

    private static final Logger LOG = Logger.getLogger(ClinicianOrganizations.class);
    /** A lost race means the other request committed the membership, so the second look finds it. */
    private static final int ATTEMPTS = 2;

    private ClinicianOrganizations() {
    }

    /**
     * Adds {@code clinician} to the organization of {@code tenant}, when Organizations are on in the realm and the
     * tenant is linked to an enabled organization. Never fails the launch: a membership that cannot be added is logged.
     */
    static void join(KeycloakSession session, RealmModel realm, IdentityProviderModel tenant, UserModel clinician) {
        String organizationId = tenant.getOrganizationId();
        if (organizationId == null || !realm.isOrganizationsEnabled()) {
            return;
        }
        OrganizationProvider organizations = session.getProvider(OrganizationProvider.class);
        if (organizations == null || !organizations.isEnabled()) {
            return;
        }
        OrganizationModel organization = organizations.getById(organizationId);
        if (organization == null || !organization.isEnabled() || organizations.isMember(organization, clinician)) {
            return;
        }
        String realmId = realm.getId();
        String userId = clinician.getId();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                boolean added = KeycloakModelUtils.runJobInTransactionWithResult(session.getKeycloakSessionFactory(),
                        tx -> addManaged(tx, realmId, organizationId, userId));
                if (added) {
                    LOG.debugf("Clinician user %s joined organization %s through IdP %s", clinician.getUsername(), organization.getAlias(),
                            tenant.getAlias());
                }
                return;
            } catch (RuntimeException e) {
                // Another launch of this clinician added the membership first; its commit wins, ours rolled back.
                LOG.debugf("Adding a clinician of IdP %s to organization %s lost a race (%s); looking again", tenant.getAlias(),
                        organization.getAlias(), e.getClass().getSimpleName());
            }
        }
        LOG.warnf("Clinician user %s of IdP %s could not be made a member of organization %s; the launch goes on without it",
                clinician.getUsername(), tenant.getAlias(), organization.getAlias());
    }

    /** The membership in {@code tx}: true when added, false when it was there already (or the parties are gone). */
    private static boolean addManaged(KeycloakSession tx, String realmId, String organizationId, String userId) {
        RealmModel realm = tx.realms().getRealm(realmId);
        tx.getContext().setRealm(realm);
        OrganizationProvider organizations = tx.getProvider(OrganizationProvider.class);
        OrganizationModel organization = organizations.getById(organizationId);
        UserModel user = tx.users().getUserById(realm, userId);
        if (organization == null || user == null || organizations.isMember(organization, user)) {
            return false;
        }
        // Keycloak 26.7's cached user has no joinGroup with membership metadata, so a membership added through it is
        // recorded as unmanaged (docs/keycloak-notes.md §18). A change through it (its modification time) makes the
        // cache forget the user at commit and hand this transaction the stored user, which records the type.
        user.setLastModifiedTimestamp(Time.currentTimeMillis());
        user = tx.users().getUserById(realm, userId);
        return organizations.addManagedMember(organization, user);
    }
}
