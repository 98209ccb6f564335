package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.List;

/** What reached the simulator (admin calls excepted), and what it fetched from apps. Thread-safe. */
public final class RequestLog {

    /** Oldest entries are dropped beyond this, so that a long benchmark cannot exhaust memory. */
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
        if (outbound.size() >= CAPACITY) {
            outbound.subList(0, CAPACITY / 10).clear();
        }
        outbound.add(fetch);
    }

    /** Every request, oldest first. */
    public synchronized List<LoggedRequest> entries() {
        return List.copyOf(entries);
    }

    /**
     * Server-to-server calls only (discovery, metadata, OIDC configuration, token, revoke, JWKS, FHIR): what a
     * relying party's back channel cost. Browser pages (authorize, login, consent, launcher, error pages) and
     * {@link Endpoint#OTHER} (styles, preflights, unknown paths) are left out.
     */
    public synchronized List<LoggedRequest> backChannel() {
        return entries.stream().filter(e -> e.endpoint().isBackChannel()).toList();
    }

    /** JWKS fetches the simulator made to apps' registered URLs, oldest first. */
    public synchronized List<OutboundFetch> outbound() {
        return List.copyOf(outbound);
    }

    public synchronized void clear() {
        entries.clear();
        outbound.clear();
    }
}
