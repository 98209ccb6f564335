package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Faults switched on by tests or the admin API, consumed by matching requests. Thread-safe.
 *
 * <p>A request is hit by every matching {@link FaultType#LATENCY} fault (their delays add up) and by at most one other
 * matching fault, the oldest one that the endpoint can apply; each fault that hits counts down its {@code count}.
 */
public final class Faults {

    private static final class Active {
        final Fault fault;
        int remaining;

        Active(Fault fault) {
            this.fault = fault;
            this.remaining = fault.count() == 0 ? 1 : fault.count();
        }
    }

    private final List<Active> active = new ArrayList<>();

    public synchronized void add(Fault fault) {
        if (fault.endpoint() == null || fault.type() == null) {
            throw new IllegalArgumentException("A fault needs an endpoint and a type");
        }
        active.add(new Active(fault));
    }

    public synchronized void clear() {
        active.clear();
    }

    /** The faults still switched on, in the order they were added. */
    public synchronized List<Fault> list() {
        return active.stream().map(a -> a.fault).toList();
    }

    /**
     * Takes the faults that hit a request: matching LATENCY faults first, then at most one fault whose type is in
     * {@code applicable}. Faults of other types stay armed for a request they make sense for.
     */
    synchronized List<Fault> take(String tenant, Endpoint endpoint, String grantType, Set<FaultType> applicable) {
        List<Fault> hits = new ArrayList<>(2);
        boolean other = false;
        Iterator<Active> it = active.iterator();
        while (it.hasNext()) {
            Active a = it.next();
            Fault f = a.fault;
            boolean matches = f.endpoint() == endpoint
                    && (f.tenant() == null || f.tenant().equals(tenant))
                    && (f.grantType() == null || f.grantType().equals(grantType));
            if (!matches) {
                continue;
            }
            boolean latency = f.type() == FaultType.LATENCY;
            if (!latency && (other || !applicable.contains(f.type()))) {
                continue;
            }
            other |= !latency;
            hits.add(f);
            if (a.remaining > 0 && --a.remaining == 0) {
                it.remove();
            }
        }
        return hits;
    }
}
