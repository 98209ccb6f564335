package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/** Faults switched on by tests or the admin API, consumed by matching requests. Thread-safe. */
public final class Faults {

    private final List<Fault> active = new ArrayList<>();
    private final List<Integer> remaining = new ArrayList<>();

    public synchronized void add(Fault fault) {
        active.add(fault);
        remaining.add(fault.count() == 0 ? 1 : fault.count());
    }

    public synchronized void clear() {
        active.clear();
        remaining.clear();
    }

    public synchronized List<Fault> list() {
        return List.copyOf(active);
    }

    /** The first fault matching the request, consumed once; types limits the kinds this endpoint can apply. */
    synchronized Optional<Fault> take(String tenant, Endpoint endpoint, String grantType) {
        Iterator<Fault> faults = active.iterator();
        int index = 0;
        while (faults.hasNext()) {
            Fault fault = faults.next();
            boolean matches = fault.endpoint() == endpoint
                    && (fault.tenant() == null || fault.tenant().equals(tenant))
                    && (fault.grantType() == null || fault.grantType().equals(grantType));
            if (matches) {
                int left = remaining.get(index);
                if (left > 0) {
                    left--;
                    if (left == 0) {
                        faults.remove();
                        remaining.remove(index);
                    } else {
                        remaining.set(index, left);
                    }
                }
                return Optional.of(fault);
            }
            index++;
        }
        return Optional.empty();
    }
}
