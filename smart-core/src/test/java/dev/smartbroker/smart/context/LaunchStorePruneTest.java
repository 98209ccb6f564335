package dev.smartbroker.smart.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.smartbroker.smart.Smart;
import org.junit.jupiter.api.Test;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.KeycloakSession;

class LaunchStorePruneTest {

    private final Map<String, String> notes = new HashMap<>();
    private final AuthenticatedClientSessionModel clientSession = mock(AuthenticatedClientSessionModel.class);

    LaunchStorePruneTest() {
        when(clientSession.getNotes()).thenReturn(notes);
        when(clientSession.getNote(anyString())).thenAnswer(i -> notes.get(i.<String>getArgument(0)));
        doAnswer(i -> notes.remove(i.<String>getArgument(0))).when(clientSession).removeNote(anyString());
    }

    private void stage(String launchId) {
        notes.put(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, "sealed-context");
        notes.put(LaunchStore.TOKENS_PREFIX + launchId, "sealed-tokens");
    }

    @Test
    void launch_ids_sort_in_the_order_they_were_made() {
        String earlier = LaunchStore.newLaunchId();
        String later = String.format("%011x", Long.parseLong(earlier.substring(0, 11), 16) + 1) + earlier.substring(11);
        assertThat(earlier).matches("[0-9a-f]{11}-[A-Za-z0-9]{16}");
        assertThat(earlier.compareTo(later)).isNegative();
    }

    @Test
    void beyond_the_limit_the_oldest_launches_go_first_whatever_order_the_notes_come_in() {
        long start = 0x1a000000000L;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < LaunchStore.DEFAULT_LAUNCHES_KEPT + 3; i++) {
            // Several launches within one second: a one-second clock could not order them.
            ids.add(String.format("%011x", start + i * 7) + "-" + "r".repeat(15) + (char) ('A' + (i % 26)));
        }
        String legacy = "x".repeat(24);
        List<String> shuffled = new ArrayList<>(ids);
        shuffled.add(legacy);
        Collections.shuffle(shuffled, new Random(42));
        shuffled.forEach(this::stage);

        LaunchStore.prune(clientSession, LaunchStore.DEFAULT_LAUNCHES_KEPT);

        List<String> kept = LaunchStore.launchIds(clientSession);
        assertThat(kept).containsExactlyInAnyOrderElementsOf(ids.subList(ids.size() - LaunchStore.DEFAULT_LAUNCHES_KEPT, ids.size()));
        assertThat(notes).doesNotContainKey(LaunchStore.TOKENS_PREFIX + legacy).doesNotContainKey(LaunchStore.TOKENS_PREFIX + ids.get(0));
        assertThat(notes).hasSize(2 * LaunchStore.DEFAULT_LAUNCHES_KEPT);
    }

    @Test
    void making_room_for_a_new_launch_keeps_one_fewer_and_the_newest() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < LaunchStore.DEFAULT_LAUNCHES_KEPT; i++) {
            ids.add(String.format("%011x", 0x1a000000000L + i) + "-" + "r".repeat(16));
        }
        ids.forEach(this::stage);

        LaunchStore.prune(clientSession, LaunchStore.DEFAULT_LAUNCHES_KEPT - 1);

        assertThat(LaunchStore.launchIds(clientSession)).containsExactlyInAnyOrderElementsOf(ids.subList(1, ids.size()));
    }

    @Test
    void within_the_limit_nothing_is_dropped() {
        stage(LaunchStore.newLaunchId());
        stage(LaunchStore.newLaunchId());
        LaunchStore.prune(clientSession, LaunchStore.DEFAULT_LAUNCHES_KEPT);
        assertThat(notes).hasSize(4);
    }
}
