package dev.smartbroker.it.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Time the integration tests move instead of waiting for it: Keycloak's clock and the simulator's, forward together
 * (docs/keycloak-notes.md §17).
 *
 * <pre>
 * try (Clocks clocks = Clocks.of(env)) {
 *     clocks.advance(Duration.ofSeconds(21));   // what expires within 21 s has expired, in Keycloak and at Cerner
 * }                                              // both on real time again
 * </pre>
 *
 * <ul>
 *   <li>Keycloak: the offset of its clock ({@code org.keycloak.common.util.Time}), set through the test-only
 *       {@code it-clock} provider that only the integration tests deploy. Every expiry decision of Keycloak and of the
 *       broker reads that clock.</li>
 *   <li>Simulator: {@code simulator.clock().advance}. That clock only moves forward, so the tests' simulator runs on
 *       {@link #simulatorBase()}, which closing sets back by as much: afterwards the simulator reads real time again.</li>
 * </ul>
 *
 * <p>Closing always resets Keycloak's offset to zero and the simulator to real time, whatever the test did. What
 * happened meanwhile keeps its shifted time stamps: Keycloak's events, the simulator's request log, tokens and
 * caches are ahead of real time by the shift, for as long again. A test that selects by this JVM's clock
 * ({@code since = Instant.now()}) would pick them up; so only classes annotated {@link ShiftsTime} may use Clocks,
 * they run after all others, and they select by position in the log or by event id instead. Keep shifts as small as
 * the test needs: the apps' Keycloak access tokens live 300 s, the master admin's 60 s ({@link KeycloakAdmin} fetches a
 * new one when Keycloak refuses its token), user sessions 30 minutes. Not for concurrent use; the tests run one at a
 * time against one Keycloak.
 */
public final class Clocks implements AutoCloseable {

    private static final String KEYCLOAK_OFFSET = "/realms/master/it-clock/offset";
    private static final SimulatorBase SIMULATOR_BASE = new SimulatorBase();

    private final Environment env;
    private Duration advanced = Duration.ZERO;
    private boolean closed;

    private Clocks(Environment env) {
        this.env = env;
    }

    /** The base clock the tests' simulator must run on (one per test JVM, like the environment). */
    public static Clock simulatorBase() {
        return SIMULATOR_BASE;
    }

    /** Clocks on real time, for a test of a class annotated {@link ShiftsTime}. */
    public static Clocks of(Environment env) {
        Class<?> caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass().getNestHost();
        if (!caller.isAnnotationPresent(ShiftsTime.class)) {
            throw new IllegalStateException(caller.getName() + " moves time: annotate it @ShiftsTime, so that it runs after"
                    + " the tests that select by this JVM's clock");
        }
        int offset = keycloakOffset(env);
        if (offset != 0) {
            throw new IllegalStateException("Keycloak's clock is already shifted by " + offset + " s: another Clocks is open");
        }
        Duration simulatorAhead = Duration.between(Instant.now(), env.simulator().clock().instant());
        if (simulatorAhead.abs().compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalStateException("The simulator's clock is " + simulatorAhead + " off real time: it must run on"
                    + " Clocks.simulatorBase() and be moved by Clocks only");
        }
        return new Clocks(env);
    }

    /**
     * Moves both clocks forward by {@code by}, whole seconds (Keycloak's offset is in seconds): what would expire in
     * that time has expired afterwards, in Keycloak and at the simulator.
     */
    public void advance(Duration by) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (by == null || by.isNegative() || by.isZero() || by.getNano() != 0) {
            throw new IllegalArgumentException("Clocks move forward by whole seconds: " + by);
        }
        Duration next = advanced.plus(by);
        setKeycloakOffset(env, Math.toIntExact(next.getSeconds()));
        env.simulator().clock().advance(by);
        advanced = next;
    }

    /** How far both clocks are ahead of real time. */
    public Duration advanced() {
        return advanced;
    }

    /**
     * Runs one of Keycloak's scheduled tasks now (by its timer name), as its timer would once its interval is up: what
     * a task decides by Keycloak's clock is then decided at the shifted time, without waiting for the interval.
     */
    public void runKeycloakTask(String name) {
        KeycloakAdmin.Response reply = env.admin().postOnServer("/realms/master/it-clock/tasks/" + name, Map.of());
        if (reply.status() != 200) {
            throw new IllegalStateException("Task " + name + " did not run: " + reply.status() + " " + reply.body());
        }
    }

    /** Keycloak's offset back to zero, the simulator back on real time. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            setKeycloakOffset(env, 0);
        } finally {
            SIMULATOR_BASE.setBack(advanced);
        }
    }

    private static int keycloakOffset(Environment env) {
        KeycloakAdmin.Response reply = env.admin().getOnServer(KEYCLOAK_OFFSET);
        return seconds(reply);
    }

    private static void setKeycloakOffset(Environment env, int seconds) {
        KeycloakAdmin.Response reply = env.admin().putOnServer(KEYCLOAK_OFFSET, Map.of("seconds", seconds));
        if (seconds(reply) != seconds) {
            throw new IllegalStateException("Keycloak's clock offset is not " + seconds + " s: " + reply.body());
        }
    }

    private static int seconds(KeycloakAdmin.Response reply) {
        JsonNode seconds = reply.status() == 200 ? reply.json().path("seconds") : null;
        if (seconds == null || !seconds.isInt()) {
            throw new IllegalStateException("it-clock answered " + reply.status() + ": " + reply.body());
        }
        return seconds.intValue();
    }

    /** Real time minus every shift given back so far. */
    private static final class SimulatorBase extends Clock {

        private final AtomicReference<Duration> behind = new AtomicReference<>(Duration.ZERO);

        void setBack(Duration by) {
            behind.accumulateAndGet(by, Duration::plus);
        }

        @Override
        public Instant instant() {
            return Instant.now().minus(behind.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            SimulatorBase self = this;
            return new Clock() {
                @Override
                public Instant instant() {
                    return self.instant();
                }

                @Override
                public ZoneId getZone() {
                    return zone;
                }

                @Override
                public Clock withZone(ZoneId other) {
                    return self.withZone(other);
                }
            };
        }
    }
}
