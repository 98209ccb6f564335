package dev.smartbroker.smart.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
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
    void the_delete_names_realm_client_and_offline_flag_first_then_each_id() {
        assertThat(LaunchRows.deleteOnlineOfIds(1)).isEqualTo(
                "delete from {h-schema}SMART_LAUNCH where REALM_ID = ?1 and CLIENT_ID = ?2 and OFFLINE_FLAG = ?3 and ID in (?4)");
        assertThat(LaunchRows.deleteOnlineOfIds(3)).isEqualTo(
                "delete from {h-schema}SMART_LAUNCH where REALM_ID = ?1 and CLIENT_ID = ?2 and OFFLINE_FLAG = ?3 and ID in (?4, ?5, ?6)");
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

        LaunchRows.of(session).deleteOnline(realm, client, ids);

        assertThat(table.rows).containsOnlyKeys("other-client", "other-realm");
        verify(session.getProvider(JpaConnectionProvider.class).getEntityManager(), times(3)).createNativeQuery(anyString());
    }

    @Test
    void a_launch_held_by_an_offline_session_is_not_deleted() {
        row("online", "realm-1", "client-1");
        row("offline", "realm-1", "client-1");
        table.rows.get("offline").setOffline(true);

        LaunchRows.of(session).deleteOnline(realm, client, List.of("online", "offline"));

        assertThat(table.rows).containsOnlyKeys("offline");
    }

    @Test
    void a_new_launch_takes_over_the_row_of_the_launch_dropped_for_it_in_one_statement() {
        row("dropped", "realm-1", "client-1");

        LaunchRows.of(session).store(realm, client, "new", "v2.new", 5_000, List.of("dropped"));

        assertThat(table.rows).containsOnlyKeys("new");
        LaunchEntity row = table.rows.get("new");
        assertThat(row.getData()).isEqualTo("v2.new");
        assertThat(row.getRealmId()).isEqualTo("realm-1");
        assertThat(row.getClientId()).isEqualTo("client-1");
        assertThat(row.isOffline()).isFalse();
        assertThat(row.getExpires()).isEqualTo(5_000 + LaunchRows.onlineLifespan(realm));
        assertThat(table.statements).containsExactly(LaunchRows.REUSE);
        verify(session.getProvider(JpaConnectionProvider.class).getEntityManager(), times(0)).persist(any());
    }

    @Test
    void the_rows_of_further_dropped_launches_are_deleted() {
        row("dropped-1", "realm-1", "client-1");
        row("dropped-2", "realm-1", "client-1");
        row("dropped-3", "realm-1", "client-1");

        LaunchRows.of(session).store(realm, client, "new", "v2.new", 5_000, List.of("dropped-1", "dropped-2", "dropped-3"));

        assertThat(table.rows).containsOnlyKeys("new");
        assertThat(table.statements).containsExactly(LaunchRows.REUSE, LaunchRows.deleteOnlineOfIds(2));
    }

    @Test
    void a_dropped_row_that_an_offline_session_holds_is_not_taken_over_and_the_new_launch_gets_a_row_of_its_own() {
        row("offline", "realm-1", "client-1");
        table.rows.get("offline").setOffline(true);
        row("online", "realm-1", "client-1");

        LaunchRows.of(session).store(realm, client, "new", "v2.new", 5_000, List.of("offline", "online"));

        assertThat(table.rows).containsOnlyKeys("offline", "new");
        assertThat(table.rows.get("offline").getData()).isEqualTo("v2.sealed");
        assertThat(table.rows.get("new").getData()).isEqualTo("v2.new");
    }

    @Test
    void a_row_of_another_client_or_already_gone_is_not_taken_over() {
        row("other-client", "realm-1", "client-2");

        LaunchRows.of(session).store(realm, client, "new", "v2.new", 5_000, List.of("other-client"));
        LaunchRows.of(session).store(realm, client, "newer", "v2.newer", 5_000, List.of("already-gone"));

        assertThat(table.rows).containsOnlyKeys("other-client", "new", "newer");
        assertThat(table.rows.get("other-client").getData()).isEqualTo("v2.sealed");
    }

    @Test
    void a_launch_without_a_dropped_one_is_inserted_with_no_statement() {
        LaunchRows.of(session).store(realm, client, "new", "v2.new", 5_000, List.of());

        assertThat(table.rows).containsOnlyKeys("new");
        assertThat(table.statements).isEmpty();
    }

    @Test
    void nothing_to_delete_sends_no_statement() {
        row("kept", "realm-1", "client-1");
        LaunchRows.of(session).deleteOnline(realm, client, List.of());
        assertThat(table.rows).containsOnlyKeys("kept");
        verify(session.getProvider(JpaConnectionProvider.class).getEntityManager(), times(0)).createNativeQuery(anyString());
    }
}
