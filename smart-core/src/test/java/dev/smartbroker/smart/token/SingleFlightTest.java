package dev.smartbroker.smart.token;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.smartbroker.smart.http.UpstreamException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * {@link SingleFlight}: concurrent callers for one key share one upstream call. Callers run on threads of their own;
 * the upstream call is held by a latch until the test has seen every other caller wait for it.
 */
class SingleFlightTest {

    private static final int CALLERS = 8;
    private static final long WAIT_MILLIS = 10_000;

    private final SingleFlight flight = new SingleFlight();
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void noThreadLeftBehind() throws InterruptedException {
        for (Thread thread : threads) {
            thread.interrupt();
            thread.join(5_000);
            assertThat(thread.isAlive()).as(thread.getName() + " ended").isFalse();
        }
    }

    @RepeatedTest(20)
    void concurrent_callers_for_one_key_cause_one_call_and_all_get_its_result() throws Exception {
        Held upstream = new Held(() -> "token-1");
        FutureTask<String> first = start(() -> flight.once("realm:launch", WAIT_MILLIS, upstream));
        assertThat(upstream.started.await(5, SECONDS)).isTrue();
        AtomicInteger ownCalls = new AtomicInteger();
        List<FutureTask<String>> others = new ArrayList<>();
        for (int i = 1; i < CALLERS; i++) {
            others.add(start(() -> flight.once("realm:launch", WAIT_MILLIS, () -> "own-" + ownCalls.incrementAndGet())));
        }
        awaitAllWaiting();

        upstream.release.countDown();

        assertThat(first.get(5, SECONDS)).isEqualTo("token-1");
        for (FutureTask<String> other : others) {
            assertThat(other.get(5, SECONDS)).isEqualTo("token-1");
        }
        assertThat(upstream.runs.get()).isEqualTo(1);
        assertThat(ownCalls.get()).isZero();
        assertThat(flight.inFlight()).isZero();
    }

    @RepeatedTest(10)
    void every_caller_that_waited_gets_the_call_s_failure() throws Exception {
        UpstreamException invalidClient = new UpstreamException(UpstreamException.Kind.INVALID_CLIENT, "assertion rejected");
        Held upstream = new Held(() -> {
            throw new SingleFlight.CallFailure(invalidClient);
        });
        List<FutureTask<String>> callers = new ArrayList<>();
        callers.add(start(() -> flight.once("k", WAIT_MILLIS, upstream)));
        assertThat(upstream.started.await(5, SECONDS)).isTrue();
        for (int i = 1; i < CALLERS; i++) {
            callers.add(start(() -> flight.once("k", WAIT_MILLIS, () -> "own")));
        }
        awaitAllWaiting();

        upstream.release.countDown();

        for (FutureTask<String> caller : callers) {
            assertThatThrownBy(() -> caller.get(5, SECONDS)).isInstanceOf(ExecutionException.class).cause().isSameAs(invalidClient);
        }
        assertThat(upstream.runs.get()).isEqualTo(1);
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void an_unexpected_runtime_exception_reaches_the_waiters_as_it_is() throws Exception {
        IllegalStateException bug = new IllegalStateException("realm has no active AES key");
        Held upstream = new Held(() -> {
            throw bug;
        });
        FutureTask<String> first = start(() -> flight.once("k", WAIT_MILLIS, upstream));
        assertThat(upstream.started.await(5, SECONDS)).isTrue();
        FutureTask<String> second = start(() -> flight.once("k", WAIT_MILLIS, () -> "own"));
        awaitAllWaiting();

        upstream.release.countDown();

        assertThatThrownBy(() -> first.get(5, SECONDS)).cause().isSameAs(bug);
        assertThatThrownBy(() -> second.get(5, SECONDS)).cause().isSameAs(bug);
    }

    @Test
    void a_call_that_fails_with_an_error_releases_its_waiters_at_once() throws Exception {
        Held upstream = new Held(() -> {
            throw new NoClassDefFoundError("org/keycloak/SomethingMissing");
        });
        FutureTask<String> first = start(() -> flight.once("k", WAIT_MILLIS, upstream));
        assertThat(upstream.started.await(5, SECONDS)).isTrue();
        FutureTask<String> second = start(() -> flight.once("k", WAIT_MILLIS, () -> "own"));
        awaitAllWaiting();

        upstream.release.countDown();

        assertThatThrownBy(() -> first.get(5, SECONDS)).cause().isInstanceOf(NoClassDefFoundError.class);
        // Not after WAIT_MILLIS with a TIMEOUT: the waiter learns the call failed as soon as it did.
        assertThatThrownBy(() -> second.get(5, SECONDS)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(UpstreamException.class, e -> {
                    assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TOKEN_ERROR);
                    assertThat(e.getCause()).isInstanceOf(NoClassDefFoundError.class);
                });
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void a_failure_is_not_kept_for_later_callers() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Supplier<String> failsOnce = () -> {
            if (runs.incrementAndGet() == 1) {
                throw new SingleFlight.CallFailure(new UpstreamException(UpstreamException.Kind.UNREACHABLE, "connection refused"));
            }
            return "token-2";
        };

        assertThatThrownBy(() -> flight.once("k", WAIT_MILLIS, failsOnce)).isInstanceOfSatisfying(UpstreamException.class,
                e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.UNREACHABLE));
        assertThat(flight.inFlight()).isZero();

        assertThat(flight.once("k", WAIT_MILLIS, failsOnce)).isEqualTo("token-2");
        assertThat(runs.get()).isEqualTo(2);
    }

    @Test
    void nor_is_a_result_each_call_after_the_flight_goes_upstream_again() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        assertThat(flight.once("k", WAIT_MILLIS, () -> "token-" + runs.incrementAndGet())).isEqualTo("token-1");
        assertThat(flight.once("k", WAIT_MILLIS, () -> "token-" + runs.incrementAndGet())).isEqualTo("token-2");
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void callers_for_another_key_do_not_wait_for_a_call_in_flight() throws Exception {
        Held slow = new Held(() -> "a");
        FutureTask<String> a = start(() -> flight.once("realm:launch-a", WAIT_MILLIS, slow));
        assertThat(slow.started.await(5, SECONDS)).isTrue();

        FutureTask<String> b = start(() -> flight.once("realm:launch-b", WAIT_MILLIS, () -> "b"));

        assertThat(b.get(5, SECONDS)).isEqualTo("b");
        assertThat(a.isDone()).isFalse();
        assertThat(flight.inFlight()).isEqualTo(1);
        slow.release.countDown();
        assertThat(a.get(5, SECONDS)).isEqualTo("a");
    }

    @Test
    void a_caller_that_waits_longer_than_it_may_gets_a_timeout_and_the_call_goes_on() throws Exception {
        Held slow = new Held(() -> "token-1");
        FutureTask<String> first = start(() -> flight.once("k", WAIT_MILLIS, slow));
        assertThat(slow.started.await(5, SECONDS)).isTrue();
        AtomicInteger ownCalls = new AtomicInteger();

        assertThatThrownBy(() -> flight.once("k", 50, () -> "own-" + ownCalls.incrementAndGet()))
                .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT));

        assertThat(ownCalls.get()).isZero();
        assertThat(first.isDone()).isFalse();
        slow.release.countDown();
        assertThat(first.get(5, SECONDS)).isEqualTo("token-1");
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void an_interrupted_waiter_stops_waiting_with_a_timeout_and_stays_interrupted() throws Exception {
        Held slow = new Held(() -> "token-1");
        FutureTask<String> first = start(() -> flight.once("k", WAIT_MILLIS, slow));
        assertThat(slow.started.await(5, SECONDS)).isTrue();
        FutureTask<Boolean> interrupted = new FutureTask<>(() -> {
            Thread.currentThread().interrupt();
            try {
                flight.once("k", WAIT_MILLIS, () -> "own");
                return false;
            } catch (UpstreamException e) {
                return e.kind() == UpstreamException.Kind.TIMEOUT && Thread.currentThread().isInterrupted();
            }
        });
        track(new Thread(interrupted, "interrupted-waiter")).start();

        assertThat(interrupted.get(5, SECONDS)).isTrue();
        slow.release.countDown();
        assertThat(first.get(5, SECONDS)).isEqualTo("token-1");
    }

    // ---------------------------------------------------------------- rig

    /** An upstream call that signals when it runs and returns only once released. */
    private static final class Held implements Supplier<String> {

        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger runs = new AtomicInteger();
        private final Supplier<String> then;

        Held(Supplier<String> then) {
            this.then = then;
        }

        @Override
        public String get() {
            runs.incrementAndGet();
            started.countDown();
            try {
                if (!release.await(5, SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return then.get();
        }
    }

    private <T> FutureTask<T> start(Callable<T> caller) {
        FutureTask<T> task = new FutureTask<>(caller);
        track(new Thread(task, "caller-" + threads.size())).start();
        return task;
    }

    private Thread track(Thread thread) {
        thread.setDaemon(true);
        threads.add(thread);
        return thread;
    }

    /**
     * Every caller but the first (which is inside the upstream call) is parked waiting for the call's result: bounded,
     * so that a caller that never waits fails the test instead of hanging it.
     */
    private void awaitAllWaiting() {
        long deadline = System.nanoTime() + SECONDS.toNanos(5);
        for (Thread thread : threads.subList(1, threads.size())) {
            while (thread.getState() != Thread.State.TIMED_WAITING) {
                assertThat(thread.getState()).as("%s ended before the call it should wait for", thread.getName())
                        .isNotEqualTo(Thread.State.TERMINATED);
                assertThat(System.nanoTime() - deadline).as("%s waits within 5 s", thread.getName()).isNegative();
                Thread.yield();
            }
        }
    }
}
