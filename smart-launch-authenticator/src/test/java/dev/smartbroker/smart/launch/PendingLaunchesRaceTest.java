package dev.smartbroker.smart.launch;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.smartbroker.smart.testing.MemorySingleUseObjects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;

/**
 * Pending launches when requests meet: logins claiming one launch at once (two tabs, a reload, two nodes), and a
 * second launch of the app contesting a launch while it is being claimed.
 */
class PendingLaunchesRaceTest {

    private static final int CLAIMERS = 8;

    private final PausingStore store = new PausingStore();
    private final KeycloakSession session = mock(KeycloakSession.class);
    private final ClientModel app = mock(ClientModel.class);
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        when(session.singleUseObjects()).thenReturn(store);
        when(app.getId()).thenReturn("3f1c2d9e-app");
        pool = Executors.newFixedThreadPool(CLAIMERS);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, SECONDS)).isTrue();
    }

    @RepeatedTest(20)
    void a_launch_claimed_by_many_requests_at_once_goes_to_exactly_one() throws Exception {
        String handle = PendingLaunches.create(session, app, "cerner-sandbox", "https://fhir/r4/t", "launch-1", 300);

        List<Optional<PendingLaunches.Pending>> claims = claimAtOnce(handle);

        assertThat(claims).filteredOn(Optional::isPresent).hasSize(1);
        assertThat(PendingLaunches.peek(session, handle)).isEmpty();
        assertThat(PendingLaunches.claim(session, handle)).isEmpty();
    }

    @RepeatedTest(20)
    void a_contested_launch_claimed_by_many_requests_at_once_goes_to_exactly_one_and_leaves_its_tombstone() throws Exception {
        String handle = PendingLaunches.create(session, app, "cerner-sandbox", "https://fhir/r4/t", "launch-2", 300, true);

        List<Optional<PendingLaunches.Pending>> claims = claimAtOnce(handle);

        assertThat(claims).filteredOn(Optional::isPresent).hasSize(1);
        assertThat(PendingLaunches.peek(session, handle)).get().satisfies(p -> {
            assertThat(p.used()).isTrue();
            assertThat(p.contested()).isTrue();
        });
        assertThat(PendingLaunches.claim(session, handle)).isEmpty();
    }

    @Test
    void a_launch_contested_while_it_is_claimed_stays_claimed() throws Exception {
        String handle = PendingLaunches.create(session, app, "cerner-sandbox", "https://fhir/r4/t", "launch-1", 300);

        claimWhileContesting(handle);

        assertThat(PendingLaunches.claim(session, handle)).isEmpty();
        assertThat(store.records).isEmpty();
    }

    @Test
    void a_contested_launch_contested_again_while_it_is_claimed_stays_claimed() throws Exception {
        // A second launch of the app left this one contested; a third arrives as the second's login claims it by handle.
        String handle = PendingLaunches.create(session, app, "cerner-sandbox", "https://fhir/r4/t", "launch-2", 300, true);

        claimWhileContesting(handle);

        assertThat(PendingLaunches.claim(session, handle)).as("claimed once only").isEmpty();
        assertThat(PendingLaunches.peek(session, handle)).get().satisfies(p -> assertThat(p.used()).isTrue());
    }

    // ---------------------------------------------------------------- rig

    private List<Optional<PendingLaunches.Pending>> claimAtOnce(String handle) throws Exception {
        CountDownLatch ready = new CountDownLatch(CLAIMERS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<PendingLaunches.Pending>>> futures = new ArrayList<>();
        for (int i = 0; i < CLAIMERS; i++) {
            futures.add(pool.submit(() -> {
                ready.countDown();
                assertThat(go.await(5, SECONDS)).isTrue();
                return PendingLaunches.claim(session, handle);
            }));
        }
        assertThat(ready.await(5, SECONDS)).isTrue();
        go.countDown();
        List<Optional<PendingLaunches.Pending>> claims = new ArrayList<>();
        for (Future<Optional<PendingLaunches.Pending>> future : futures) {
            claims.add(future.get(5, SECONDS));
        }
        return claims;
    }

    /**
     * The Launch URI contests {@code handle} (a later launch of the app arrived with its cookie), and the launch's own login
     * claims it by handle right between the contest's read and its write.
     */
    private void claimWhileContesting(String handle) throws Exception {
        store.pauseAfterRead = "smart.pending." + handle;
        Future<?> contest = pool.submit(() -> PendingLaunches.contest(session, handle));
        assertThat(store.read.await(5, SECONDS)).as("the contest has read the launch").isTrue();

        assertThat(PendingLaunches.claim(session, handle)).isPresent();

        store.resume.countDown();
        contest.get(5, SECONDS);
    }

    /** Lets a test stop one reader of a record right after it read it, until the test resumes it. */
    private static final class PausingStore extends MemorySingleUseObjects {

        volatile String pauseAfterRead;
        final CountDownLatch read = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        @Override
        public Map<String, String> get(String key) {
            Map<String, String> notes = super.get(key);
            if (key.equals(pauseAfterRead)) {
                pauseAfterRead = null;
                read.countDown();
                try {
                    assertThat(resume.await(5, SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return notes;
        }
    }
}
