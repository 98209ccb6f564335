package dev.smartbroker.smart.testing;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.persistence.EntityExistsException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

import dev.smartbroker.smart.context.LaunchEntity;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;

/**
 * The launch table in memory, behind a mocked entity manager of {@code session}: rows found are the stored objects
 * themselves, as JPA's managed entities are, so that a change to one is what the next find returns.
 */
public final class MemoryLaunchTable {

    public final Map<String, LaunchEntity> rows = new ConcurrentHashMap<>();

    /** The native statements run on this table, in order. */
    public final List<String> statements = new CopyOnWriteArrayList<>();

    /** A table of its own, served by {@code session}. */
    public static MemoryLaunchTable in(KeycloakSession session) {
        return new MemoryLaunchTable().servedBy(session);
    }

    /** Makes {@code session}'s entity manager another view of this table, as sessions of one node share a database. */
    public MemoryLaunchTable servedBy(KeycloakSession session) {
        EntityManager em = mock(EntityManager.class);
        when(em.find(eq(LaunchEntity.class), any())).thenAnswer(i -> rows.get(i.<String>getArgument(1)));
        doAnswer(i -> {
            LaunchEntity row = i.getArgument(0);
            if (rows.putIfAbsent(row.getId(), row) != null) {
                throw new EntityExistsException(row.getId());
            }
            return null;
        }).when(em).persist(any(LaunchEntity.class));
        doAnswer(i -> rows.remove(i.<LaunchEntity>getArgument(0).getId())).when(em).remove(any(LaunchEntity.class));
        when(em.createNativeQuery(anyString())).thenAnswer(i -> nativeStatement(i.getArgument(0)));
        JpaConnectionProvider jpa = mock(JpaConnectionProvider.class);
        when(jpa.getEntityManager()).thenReturn(em);
        when(session.getProvider(JpaConnectionProvider.class)).thenReturn(jpa);
        return this;
    }

    /** The native statements of {@code LaunchRows}, run on this table; any other statement fails the test. */
    private Query nativeStatement(String sql) {
        Map<Integer, Object> parameters = new ConcurrentHashMap<>();
        Query query = mock(Query.class);
        when(query.setHint(anyString(), any())).thenReturn(query);
        when(query.setParameter(anyInt(), any())).thenAnswer(i -> {
            parameters.put(i.getArgument(0), i.getArgument(1));
            return query;
        });
        statements.add(sql);
        if (sql.equals("update {h-schema}SMART_LAUNCH set ID = ?1, DATA = ?2, EXPIRES = ?3"
                + " where REALM_ID = ?4 and CLIENT_ID = ?5 and OFFLINE_FLAG = ?6 and ID = ?7")) {
            when(query.executeUpdate()).thenAnswer(i -> reuse(parameters));
            return query;
        }
        if (!sql.matches("delete from \\{h-schema\\}SMART_LAUNCH where REALM_ID = \\?1 and CLIENT_ID = \\?2 and OFFLINE_FLAG = \\?3"
                + " and ID in \\(\\?4(, \\?\\d+)*\\)")) {
            throw new AssertionError("unexpected statement: " + sql);
        }
        // The delete of launches by id, of one realm and client, not held offline: realm, client, offline flag, the ids.
        when(query.executeUpdate()).thenAnswer(i -> {
            int deleted = 0;
            for (int p = 4; parameters.containsKey(p); p++) {
                LaunchEntity row = rows.get((String) parameters.get(p));
                if (row != null && row.getRealmId().equals(parameters.get(1)) && row.getClientId().equals(parameters.get(2))
                        && parameters.get(3).equals(row.isOffline())) {
                    rows.remove(row.getId());
                    deleted++;
                }
            }
            return deleted;
        });
        return query;
    }

    /** A dropped launch's row made a new launch's: new id, record and expiry; realm, client, offline flag, old id. */
    private int reuse(Map<Integer, Object> parameters) {
        LaunchEntity old = rows.get((String) parameters.get(7));
        if (old == null || !old.getRealmId().equals(parameters.get(4)) || !old.getClientId().equals(parameters.get(5))
                || !parameters.get(6).equals(old.isOffline()) || rows.containsKey((String) parameters.get(1))) {
            return 0;
        }
        rows.remove(old.getId());
        rows.put((String) parameters.get(1), new LaunchEntity((String) parameters.get(1), old.getRealmId(), old.getClientId(),
                (Long) parameters.get(3), (String) parameters.get(2)));
        return 1;
    }
}
