package dev.smartbroker.smart.context;

import java.util.Collection;
import java.util.Optional;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The {@code SMART_LAUNCH} table, through the entity manager of Keycloak's own database connection: rows are written
 * in the transaction of the request, and so only if it commits.
 *
 * <p>How long a row lives is decided from the realm's session settings, so that it outlives every session that can
 * hold its launch: the longest an online session can last, and, once tokens of an offline session were issued for the
 * launch, the longest an offline session can last (when offline sessions have no maximum, their idle timeout, renewed
 * while the launch is in use). A margin covers Keycloak's own grace on expiry.
 */
final class LaunchRows {

    /** Above the grace Keycloak gives a session past its expiry, and above any clock skew between nodes. */
    static final long MARGIN_SECONDS = 600;

    private final EntityManager em;

    private LaunchRows(EntityManager em) {
        this.em = em;
    }

    static LaunchRows of(KeycloakSession session) {
        return new LaunchRows(session.getProvider(JpaConnectionProvider.class).getEntityManager());
    }

    /** The row of this launch, if it is of this realm and client. */
    Optional<LaunchEntity> find(RealmModel realm, ClientModel client, String launchId) {
        LaunchEntity row = em.find(LaunchEntity.class, launchId);
        if (row == null || !realm.getId().equals(row.getRealmId()) || !client.getId().equals(row.getClientId())) {
            return Optional.empty();
        }
        return Optional.of(row);
    }

    void insert(RealmModel realm, ClientModel client, String launchId, String sealed, long now) {
        em.persist(new LaunchEntity(launchId, realm.getId(), client.getId(), now + onlineLifespan(realm), sealed));
    }

    /** Deletes these launches of this realm and client: one statement, nothing read first. */
    void delete(RealmModel realm, ClientModel client, Collection<String> launchIds) {
        if (!launchIds.isEmpty()) {
            em.createNamedQuery(LaunchEntity.DELETE_OF_IDS).setParameter("ids", launchIds).setParameter("realmId", realm.getId())
                    .setParameter("clientId", client.getId()).executeUpdate();
        }
    }

    void remove(LaunchEntity row) {
        em.remove(row);
    }

    /** Marks the launch as held by an offline session: it lives as long as offline sessions may. */
    void keepOffline(LaunchEntity row, RealmModel realm, long now) {
        long expires = now + offlineLifespan(realm);
        if (!row.isOffline() || row.getExpires() < expires) {
            row.setOffline(true);
            row.setExpires(Math.max(row.getExpires(), expires));
        }
    }

    /**
     * Renews the expiry of an offline launch in use when offline sessions have no maximum and half of the idle
     * timeout has gone: one write per launch every half idle timeout at most (15 days by default).
     */
    void renewIfDue(LaunchEntity row, RealmModel realm, long now) {
        if (row.isOffline() && !realm.isOfflineSessionMaxLifespanEnabled()
                && row.getExpires() - now < offlineLifespan(realm) / 2 + MARGIN_SECONDS) {
            row.setExpires(now + offlineLifespan(realm));
        }
    }

    /** Deletes the rows past their expiry; returns how many. */
    int deleteExpired(long now) {
        return em.createNamedQuery(LaunchEntity.DELETE_EXPIRED).setParameter("now", now).executeUpdate();
    }

    int deleteOfRealm(String realmId) {
        return em.createNamedQuery(LaunchEntity.DELETE_OF_REALM).setParameter("realmId", realmId).executeUpdate();
    }

    int deleteOfClient(String realmId, String clientId) {
        return em.createNamedQuery(LaunchEntity.DELETE_OF_CLIENT).setParameter("realmId", realmId)
                .setParameter("clientId", clientId).executeUpdate();
    }

    /** The longest an online session holding a launch staged now can last (seconds), with the margin. */
    static long onlineLifespan(RealmModel realm) {
        return Math.max(realm.getSsoSessionMaxLifespan(), realm.getSsoSessionMaxLifespanRememberMe()) + MARGIN_SECONDS;
    }

    /** The longest an offline session can last from now without use (seconds), with the margin. */
    static long offlineLifespan(RealmModel realm) {
        long lifespan = realm.isOfflineSessionMaxLifespanEnabled() ? realm.getOfflineSessionMaxLifespan() : realm.getOfflineSessionIdleTimeout();
        return Math.max(lifespan, onlineLifespan(realm) - MARGIN_SECONDS) + MARGIN_SECONDS;
    }
}
