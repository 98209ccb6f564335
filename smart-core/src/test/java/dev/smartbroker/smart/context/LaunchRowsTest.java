package dev.smartbroker.smart.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.List;

import dev.smartbroker.smart.testing.MemoryLaunchTable;
import org.junit.jupiter.api.Test;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

class LaunchRowsTest {

    private final KeycloakSession session = mock(KeycloakSession.class);
    private final MemoryLaunchTable table = MemoryLaunchTable.in(session);
    private final RealmModel realm = mock(RealmModel.class);
    private final ClientModel client = mock(ClientModel.class);

    LaunchRowsTest() {
        when(realm.getId()).thenReturn("realm-1");
        when(client.getId()).thenReturn("client-1");
    }

    private void row(String id, String realmId, String clientId) {
        table.rows.put(id, new LaunchEntity(id, realmId, clientId, 1_000, "v2.sealed"));
    }

    @Test
    void the_delete_names_realm_and_client_first_then_each_id() {
        assertThat(LaunchRows.deleteOfIds(1))
                .isEqualTo("delete from {h-schema}SMART_LAUNCH where REALM_ID = ?1 and CLIENT_ID = ?2 and ID in (?3)");
        assertThat(LaunchRows.deleteOfIds(3))
                .isEqualTo("delete from {h-schema}SMART_LAUNCH where REALM_ID = ?1 and CLIENT_ID = ?2 and ID in (?3, ?4, ?5)");
    }

    @Test
    void deleting_launches_removes_only_those_of_the_realm_and_client_in_statements_of_bounded_size() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2 * LaunchRows.IDS_PER_DELETE + 1; i++) {
            ids.add("launch-" + i);
            row("launch-" + i, "realm-1", "client-1");
        }
        row("other-client", "realm-1", "client-2");
        row("other-realm", "realm-2", "client-1");
        ids.add("other-client");
        ids.add("other-realm");
        ids.add("already-gone");

        LaunchRows.of(session).delete(realm, client, ids);

        assertThat(table.rows).containsOnlyKeys("other-client", "other-realm");
        verify(session.getProvider(JpaConnectionProvider.class).getEntityManager(), times(3)).createNativeQuery(anyString());
    }

    @Test
    void nothing_to_delete_sends_no_statement() {
        row("kept", "realm-1", "client-1");
        LaunchRows.of(session).delete(realm, client, List.of());
        assertThat(table.rows).containsOnlyKeys("kept");
        verify(session.getProvider(JpaConnectionProvider.class).getEntityManager(), times(0)).createNativeQuery(anyString());
    }
}
