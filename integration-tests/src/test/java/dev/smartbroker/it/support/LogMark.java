package dev.smartbroker.it.support;

import java.time.Instant;
import java.util.List;

import dev.smartbroker.simulator.CernerSimulator;
import dev.smartbroker.simulator.LoggedRequest;

/**
 * A point in the simulator's request log, to ask what reached the simulator since. The log lists requests in the
 * order they were answered, each stamped with its arrival on the simulator's clock, so a mark keeps both: by position
 * alone, a request of an earlier test answered late would count (a LATENCY fault goes on after the broker gave up);
 * by time alone, requests stamped ahead of real time by a test that moved the clocks ({@link Clocks}) would.
 */
public record LogMark(int position, Instant at) {

    public static LogMark of(CernerSimulator simulator) {
        Instant at = simulator.clock().instant();
        return new LogMark(simulator.requestLog().entries().size(), at);
    }

    /** Requests that arrived after the mark, in the order they were answered. */
    public List<LoggedRequest> since(CernerSimulator simulator) {
        List<LoggedRequest> entries = simulator.requestLog().entries();
        return entries.subList(Math.min(position, entries.size()), entries.size()).stream()
                .filter(r -> !r.at().isBefore(at)).toList();
    }
}
