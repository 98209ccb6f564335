package dev.smartbroker.smart.idp;

import java.util.Optional;

import org.jboss.logging.Logger;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityProviderMapper;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.models.FederatedIdentityModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * The Keycloak user of a clinician, created once however many of the clinician's first launches arrive at the same
 * moment (two tabs, two apps, a double click, two nodes).
 *
 * <p>Keycloak's own first-broker-login flow checks that the username is free and creates the user in the request's
 * transaction; concurrent first logins all pass the check and all but one fail at commit with a duplicate user or
 * link. So the user is created and linked here, before Keycloak looks the federated identity up, in a transaction
 * of its own: the first request commits the user, the others fail on the database's unique keys, find the committed
 * user and carry on. Keycloak then always finds an existing, linked user and runs its ordinary login path (sync of
 * names, post-login flow, session). As Keycloak does for a registered user, the identity provider's mappers get
 * {@code importNewUser} and a {@code REGISTER} event is recorded.
 */
final class ClinicianAccounts {

    private static final Logger LOG = Logger.getLogger(ClinicianAccounts.class);
    /** Set on the users this broker creates: tenant alias and the clinician's identity there. */
    static final String ATTRIBUTE_IDENTITY = "smart_broker_identity";
    /** Attempts to create-or-find; each lost race means another request committed, so two suffice in practice. */
    private static final int ATTEMPTS = 4;
    /** Pause before looking again for a user another request is committing (a transaction, not a clock). */
    private static final long RETRY_PAUSE_MILLIS = 50;

    /** Why no user could be given to a launch. */
    static final class ProvisioningException extends Exception {

        private static final long serialVersionUID = 1L;

        ProvisioningException(String message) {
            super(message);
        }
    }

    private ClinicianAccounts() {
    }

    /**
     * The user linked to {@code identity} at {@code alias}, created and linked first if there is none.
     *
     * @param event the login's event builder; a {@code REGISTER} event is cloned from it when a user is created
     * @throws ProvisioningException when the username is taken by a user that is not linked to this clinician
     */
    static UserModel ensure(KeycloakSession session, RealmModel realm, String alias, BrokeredIdentityContext identity,
                            EventBuilder event) throws ProvisioningException {
        FederatedIdentityModel link = new FederatedIdentityModel(alias, identity.getId(), identity.getUsername());
        UserModel existing = linkedUser(session, realm, link);
        if (existing != null) {
            return existing;
        }
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        String realmId = realm.getId();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<String> created = Optional.empty();
            try {
                created = Optional.of(KeycloakModelUtils.runJobInTransactionWithResult(factory,
                        tx -> create(tx, tx.realms().getRealm(realmId), link, identity)));
            } catch (RuntimeException e) {
                // Another request created this user (or its link) first; its commit wins, ours rolled back.
                LOG.debugf("Creating the user of a clinician of IdP %s lost a race (%s); looking it up", alias, e.getClass().getSimpleName());
            }
            String userId = created.orElse(null);
            if (userId == null) {
                try {
                    userId = KeycloakModelUtils.runJobInTransactionWithResult(factory, tx -> {
                        RealmModel txRealm = tx.realms().getRealm(realmId);
                        tx.getContext().setRealm(txRealm);
                        UserModel linked = linkedUser(tx, txRealm, link);
                        return linked != null ? linked.getId() : relink(tx, txRealm, link, identity);
                    });
                } catch (RuntimeException e) {
                    // The winner's user was visible but its link not yet, so relinking collided with the link as the
                    // winner committed it: the next look finds it.
                    LOG.debugf("Looking up the user of a clinician of IdP %s met a commit in progress (%s); looking again", alias,
                            e.getClass().getSimpleName());
                }
            }
            if (userId != null) {
                UserModel user = session.users().getUserById(realm, userId);
                if (user != null) {
                    if (created.isPresent()) {
                        event.clone().event(EventType.REGISTER).user(user).detail(Details.REGISTER_METHOD, "broker")
                                .detail(Details.IDENTITY_PROVIDER, alias).detail(Details.USERNAME, user.getUsername()).success();
                        LOG.debugf("Created user %s for a clinician of IdP %s", user.getUsername(), alias);
                    }
                    return user;
                }
            }
            pause(attempt);
        }
        throw new ProvisioningException("the username " + identity.getModelUsername()
                + " belongs to a user that is not linked to this clinician at " + alias);
    }

    /**
     * The user linked to {@code link}, when the link really exists: after a tenant was deleted (which deletes its links)
     * and created again under the same alias, a cached lookup may still name the user of a link that is gone.
     */
    private static UserModel linkedUser(KeycloakSession session, RealmModel realm, FederatedIdentityModel link) {
        UserModel user = session.users().getUserByFederatedIdentity(realm, link);
        if (user == null) {
            return null;
        }
        FederatedIdentityModel stored = session.users().getFederatedIdentity(realm, user, link.getIdentityProvider());
        return stored != null && link.getUserId().equals(stored.getUserId()) ? user : null;
    }

    /**
     * Links the user this broker created for the same clinician of the same tenant alias earlier, whose link went with a
     * deleted tenant (an admin re-created it): recognised by the marker set at creation, never by name or email alone.
     * Returns its id, or null when the username belongs to someone else.
     */
    private static String relink(KeycloakSession tx, RealmModel realm, FederatedIdentityModel link, BrokeredIdentityContext identity) {
        UserModel user = tx.users().getUserByUsername(realm, identity.getModelUsername());
        if (user == null || !marker(link).equals(user.getFirstAttribute(ATTRIBUTE_IDENTITY))) {
            return null;
        }
        FederatedIdentityModel stale = tx.users().getFederatedIdentity(realm, user, link.getIdentityProvider());
        if (stale != null) {
            tx.users().removeFederatedIdentity(realm, user, link.getIdentityProvider());
        }
        tx.users().addFederatedIdentity(realm, user, link);
        LOG.infof("Linked the existing account %s again to tenant %s, which was re-created", user.getUsername(), link.getIdentityProvider());
        return user.getId();
    }

    private static String marker(FederatedIdentityModel link) {
        return link.getIdentityProvider() + " " + link.getUserId();
    }

    private static String create(KeycloakSession tx, RealmModel realm, FederatedIdentityModel link, BrokeredIdentityContext identity) {
        tx.getContext().setRealm(realm);
        UserModel user = tx.users().addUser(realm, identity.getModelUsername());
        user.setEnabled(true);
        // Not a user-profile attribute: neither the clinician nor the account console sees or edits it.
        user.setSingleAttribute(ATTRIBUTE_IDENTITY, marker(link));
        user.setFirstName(identity.getFirstName());
        user.setLastName(identity.getLastName());
        String email = identity.getEmail();
        if (email != null && !email.isBlank() && (realm.isDuplicateEmailsAllowed() || tx.users().getUserByEmail(realm, email) == null)) {
            // Identity is the tenant's fhirUser, never the email: a shared or reused address must not block the launch.
            user.setEmail(email);
        }
        tx.users().addFederatedIdentity(realm, user, link);
        KeycloakSessionFactory factory = tx.getKeycloakSessionFactory();
        tx.identityProviders().getMappersByAliasStream(link.getIdentityProvider()).forEach(mapper -> {
            IdentityProviderMapper target = (IdentityProviderMapper) factory
                    .getProviderFactory(IdentityProviderMapper.class, mapper.getIdentityProviderMapper());
            if (target != null) {
                target.importNewUser(tx, realm, user, mapper, identity);
            }
        });
        return user.getId();
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(RETRY_PAUSE_MILLIS * (attempt + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
