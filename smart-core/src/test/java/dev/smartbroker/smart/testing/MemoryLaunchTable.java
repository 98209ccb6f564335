package dev.smartbroker.smart.testing;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.concurrent.ConcurrentHashMap;
import java.util.Collection;
import java.util.Map;

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
        when(em.createNamedQuery(LaunchEntity.DELETE_OF_IDS)).thenAnswer(i -> deleteOfIds());
        JpaConnectionProvider jpa = mock(JpaConnectionProvider.class);
        when(jpa.getEntityManager()).thenReturn(em);
        when(session.getProvider(JpaConnectionProvider.class)).thenReturn(jpa);
        return this;
    }

    /** The bulk delete of launches by id, of one realm and client. */
    private Query deleteOfIds() {
        Map<String, Object> parameters = new ConcurrentHashMap<>();
        Query query = mock(Query.class);
        when(query.setParameter(anyString(), any())).thenAnswer(i -> {
            parameters.put(i.getArgument(0), i.getArgument(1));
            return query;
        });
        when(query.executeUpdate()).thenAnswer(i -> {
            Collection<?> ids = (Collection<?>) parameters.get("ids");
            int deleted = 0;
            for (Object id : ids) {
                LaunchEntity row = rows.get((String) id);
                if (row != null && matches(row, parameters)) {
                    rows.remove(id);
                    deleted++;
                }
            }
            return deleted;
        });
        return query;
    }

    private static boolean matches(LaunchEntity row, Map<String, Object> parameters) {
        return row.getRealmId().equals(parameters.get("realmId")) && row.getClientId().equals(parameters.get("clientId"));
    }
}
