package dev.smartbroker.smart.context;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

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
    /** Ids per delete statement: the launches of a session are at most {@link LaunchStore#MAX_LAUNCHES_KEPT} and a few. */
    static final int IDS_PER_DELETE = 50;
    /**
     * Hibernate's hint naming what a native statement changes, so that it flushes only pending changes to launches first
     * (without it Hibernate flushes everything and treats every entity's cache as touched).
     */
    static final String NATIVE_SPACES = "org.hibernate.query.native.spaces";
    private static final int FIRST_ID_PARAMETER = 4;
    /** A dropped launch's row made a new launch's: the new id, record and expiry, then realm, client, offline flag (false), the old id. */
    static final String REUSE = "update {h-schema}SMART_LAUNCH set ID = ?1, DATA = ?2, EXPIRES = ?3"
            + " where REALM_ID = ?4 and CLIENT_ID = ?5 and OFFLINE_FLAG = ?6 and ID = ?7";

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

    /**
     * Writes the row of a launch being staged, and deletes the rows of the launches its client session dropped for it
     * ({@link #deleteOnline}). The oldest dropped row, when no offline session holds it, becomes the new launch's row:
     * a session that keeps its most launches drops one at each new launch, and one statement then does what an insert
     * and a delete did (on a database server, one round trip instead of two).
     *
     * @param dropped ids of the launches dropped for this one, oldest first
     */
    void store(RealmModel realm, ClientModel client, String launchId, String sealed, long now, List<String> dropped) {
        if (!dropped.isEmpty() && reuse(realm, client, dropped.get(0), launchId, sealed, now)) {
            deleteOnline(realm, client, dropped.subList(1, dropped.size()));
            return;
        }
        insert(realm, client, launchId, sealed, now);
        deleteOnline(realm, client, dropped);
    }

    /** Turns the row of a dropped launch that no offline session holds into the row of a new launch; false when there is none. */
    private boolean reuse(RealmModel realm, ClientModel client, String droppedId, String launchId, String sealed, long now) {
        return em.createNativeQuery(REUSE)
                .setHint(NATIVE_SPACES, LaunchEntity.class)
                .setParameter(1, launchId)
                .setParameter(2, sealed)
                .setParameter(3, now + onlineLifespan(realm))
                .setParameter(4, realm.getId())
                .setParameter(5, client.getId())
                .setParameter(6, Boolean.FALSE)
                .setParameter(7, droppedId)
                .executeUpdate() == 1;
    }

    /**
     * Deletes these launches of this realm and client that no offline session holds: one statement per
     * {@value #IDS_PER_DELETE} ids, nothing read first, and no error for a row that is already gone (another request of
     * the same session may have pruned it). A launch that tokens of an offline session were issued for keeps its row: that
     * session still opens it, and the row goes at its own expiry.
     *
     * <p>Native SQL on purpose: it is on the path of every launch that makes room, and Hibernate translates a JPQL
     * {@code delete} anew at each execution (it caches no plan for bulk statements), which the launch benchmark's
     * profile showed as the largest part of a callback's staging. {@code {h-schema}} is Keycloak's database schema; the
     * flag is a parameter, since not every database Keycloak supports has boolean literals.
     */
    void deleteOnline(RealmModel realm, ClientModel client, Collection<String> launchIds) {
        if (launchIds.isEmpty()) {
            return;
        }
        List<String> ids = List.copyOf(launchIds);
        for (int from = 0; from < ids.size(); from += IDS_PER_DELETE) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_DELETE));
            Query delete = em.createNativeQuery(deleteOnlineOfIds(chunk.size()))
                    .setHint(NATIVE_SPACES, LaunchEntity.class)
                    .setParameter(1, realm.getId())
                    .setParameter(2, client.getId())
                    .setParameter(3, Boolean.FALSE);
            for (int i = 0; i < chunk.size(); i++) {
                delete.setParameter(i + FIRST_ID_PARAMETER, chunk.get(i));
            }
            delete.executeUpdate();
        }
    }

    /**
     * {@code delete} of {@code count} ids of one realm and client not held offline: parameters 1 and 2 are realm and
     * client, 3 the offline flag (false), then the ids.
     */
    static String deleteOnlineOfIds(int count) {
        StringBuilder sql = new StringBuilder("delete from {h-schema}SMART_LAUNCH where REALM_ID = ?1 and CLIENT_ID = ?2 and OFFLINE_FLAG = ?3"
                + " and ID in (");
        for (int i = 0; i < count; i++) {
            sql.append(i == 0 ? "?" : ", ?").append(i + FIRST_ID_PARAMETER);
        }
        return sql.append(')').toString();
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
