package dev.smartbroker.smart.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.SingleUseObjectProvider;

class PendingLaunchesTest {

    /** Keycloak's single-use store, in memory. */
    static SingleUseObjectProvider store(Map<String, Map<String, String>> backing) {
        SingleUseObjectProvider store = mock(SingleUseObjectProvider.class);
        doAnswer(i -> backing.put(i.getArgument(0), new HashMap<>(i.<Map<String, String>>getArgument(2))))
                .when(store).put(anyString(), anyLong(), anyMap());
        when(store.get(anyString())).thenAnswer(i -> backing.get(i.<String>getArgument(0)));
        when(store.remove(anyString())).thenAnswer(i -> backing.remove(i.<String>getArgument(0)));
        when(store.replace(anyString(), anyMap())).thenAnswer(i -> backing.replace(i.getArgument(0), i.getArgument(1)) != null);
        return store;
    }

    private final Map<String, Map<String, String>> records = new HashMap<>();
    private final KeycloakSession session = mock(KeycloakSession.class);
    private final ClientModel app = mock(ClientModel.class);

    @BeforeEach
    void setUp() {
        SingleUseObjectProvider store = store(records);
        when(session.singleUseObjects()).thenReturn(store);
        when(app.getId()).thenReturn("3f1c2d9e-app");
    }

    @Nested
    class A_pending_launch {

        @Test
        void is_stored_under_a_random_handle_and_claimed_once() {
            String handle = PendingLaunches.create(session, app, "cerner-sandbox", "https://fhir/r4/t", "cerner-launch-value", 300);
            assertThat(handle).hasSize(32).matches("[A-Za-z0-9]+");
            assertThat(PendingLaunches.peek(session, handle)).get()
                    .satisfies(p -> assertThat(p.launch()).isEqualTo("cerner-launch-value"));
            assertThat(PendingLaunches.claim(session, handle)).get().satisfies(p -> {
                assertThat(p.clientUuid()).isEqualTo("3f1c2d9e-app");
                assertThat(p.idpAlias()).isEqualTo("cerner-sandbox");
                assertThat(p.iss()).isEqualTo("https://fhir/r4/t");
                assertThat(p.contested()).isFalse();
            });
            assertThat(PendingLaunches.claim(session, handle)).isEmpty();
        }

        @Test
        void handles_are_unpredictable() {
            String a = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l", 300);
            String b = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l", 300);
            assertThat(a).isNotEqualTo(b);
        }

        @Test
        void can_be_contested_and_then_says_so() {
            String handle = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l", 300);
            PendingLaunches.contest(session, handle);
            assertThat(PendingLaunches.peek(session, handle)).get().satisfies(p -> assertThat(p.contested()).isTrue());
        }

        @Test
        void once_contested_and_claimed_by_its_handle_leaves_a_tombstone_that_is_never_claimed() {
            String first = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l1", 300);
            String second = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l2", 300, true);
            PendingLaunches.contest(session, first);

            assertThat(PendingLaunches.claim(session, second)).get().satisfies(p -> assertThat(p.launch()).isEqualTo("l2"));
            // A cookie login that finds the claimed one still learns that two launches met in this browser.
            assertThat(PendingLaunches.peek(session, second)).get().satisfies(p -> {
                assertThat(p.contested()).isTrue();
                assertThat(p.used()).isTrue();
                assertThat(p.launch()).isNull();
            });
            assertThat(PendingLaunches.claim(session, second)).isEmpty();
            assertThat(PendingLaunches.peek(session, second)).isPresent();
            assertThat(PendingLaunches.claim(session, first)).get().satisfies(p -> assertThat(p.launch()).isEqualTo("l1"));
        }

        @Test
        void an_uncontested_launch_leaves_nothing_once_claimed() {
            String handle = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l", 300);
            PendingLaunches.claim(session, handle);
            assertThat(PendingLaunches.peek(session, handle)).isEmpty();
            assertThat(records).isEmpty();
        }

        @Test
        void never_prints_cerner_s_launch_value() {
            String handle = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "cerner-launch-value", 300);
            assertThat(PendingLaunches.peek(session, handle).orElseThrow().toString()).doesNotContain("cerner-launch-value");
        }
    }

    @Test
    void malformed_handles_are_never_looked_up() {
        assertThat(PendingLaunches.claim(session, null)).isEmpty();
        assertThat(PendingLaunches.claim(session, "short")).isEmpty();
        assertThat(PendingLaunches.claim(session, "x".repeat(31) + ";")).isEmpty();
        assertThat(records).isEmpty();
    }

    @Test
    void each_app_has_its_own_launch_cookie() {
        ClientModel other = mock(ClientModel.class);
        when(other.getId()).thenReturn("another-app");
        assertThat(PendingLaunches.cookieName(app)).startsWith(PendingLaunches.COOKIE_PREFIX)
                .isNotEqualTo(PendingLaunches.cookieName(other))
                .isEqualTo(PendingLaunches.cookieName(app));
    }

    @Test
    void keys_are_namespaced_apart_from_keycloak_s_own_records() {
        String handle = PendingLaunches.create(session, app, "i", "https://fhir/r4/t", "l", 300);
        assertThat(records).containsOnlyKeys("smart.pending." + handle);
        assertThat(records.get("smart.pending." + handle)).containsEntry("client", "3f1c2d9e-app");
    }
}
