package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.List;

/** What reached the simulator, and what it fetched from apps. */
public final class RequestLog {

    /** Oldest entries are dropped beyond this, so a long benchmark cannot exhaust memory. */
    static final int CAPACITY = 200_000;

    private final List<LoggedRequest> entries = new ArrayList<>();
    private final List<OutboundFetch> outbound = new ArrayList<>();

    synchronized void add(LoggedRequest request) {
        if (entries.size() >= CAPACITY) {
            entries.subList(0, CAPACITY / 10).clear();
        }
        entries.add(request);
    }

    synchronized void addOutbound(OutboundFetch fetch) {
        outbound.add(fetch);
    }

    public synchronized List<LoggedRequest> entries() {
        return List.copyOf(entries);
    }

    /** Server-to-server calls only: what a relying party's back channel cost. */
    public synchronized List<LoggedRequest> backChannel() {
        return entries.stream().filter(e -> e.endpoint().isBackChannel()).toList();
    }

    public synchronized List<OutboundFetch> outbound() {
        return List.copyOf(outbound);
    }

    public synchronized void clear() {
        entries.clear();
        outbound.clear();
    }
}
