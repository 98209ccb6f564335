package dev.smartbroker.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The simulator's time: everything time-based (token, code and launch lifetimes, id_token {@code iat}/{@code exp},
 * client assertion {@code exp}/{@code iat} checks, the refresh throttle, the client JWKS cache, the key publish delay,
 * request log and issued-token timestamps) reads this clock, never the wall clock. It is a base clock (system UTC
 * unless {@link SimulatorConfig#withClock} says otherwise) plus an offset that only grows: {@link #advance} makes
 * time pass without waiting for it. Network behaviour stays real time: LATENCY faults sleep for real, and idle
 * connections are closed after real milliseconds. Thread-safe.
 */
public final class SimulatorClock extends Clock {

    private final Clock base;
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    SimulatorClock(Clock base) {
        this.base = base;
    }

    @Override
    public Instant instant() {
        return base.instant().plus(offset.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** The same time seen in another zone (the zone changes nothing the simulator does). */
    @Override
    public Clock withZone(ZoneId zone) {
        SimulatorClock self = this;
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

    /**
     * Moves the simulator's time forward: what would expire in that time has expired afterwards.
     *
     * @param by zero or more
     * @return the simulator's time afterwards
     * @throws IllegalArgumentException for a negative duration: time does not run backwards here
     */
    public Instant advance(Duration by) {
        if (by == null || by.isNegative()) {
            throw new IllegalArgumentException("The simulator's clock only moves forward: " + by);
        }
        offset.accumulateAndGet(by, Duration::plus);
        return instant();
    }

    /** How far ahead of the base clock this clock runs: the sum of every {@link #advance}. */
    public Duration offset() {
        return offset.get();
    }

    @Override
    public String toString() {
        return "SimulatorClock[" + base + " + " + offset.get() + "]";
    }
}
