package dev.smartbroker.simulator;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

/** Applies the armed {@link Faults} to a request: LATENCY sleeps, the other types answer in the endpoint's place. */
final class FaultInjector {

    /** The fault types every endpoint can apply, beyond LATENCY. */
    static final Set<FaultType> GENERIC_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON, FaultType.NOT_FOUND);

    private final Faults faults;

    FaultInjector(Faults faults) {
        this.faults = faults;
    }

    /**
     * The faults that hit this request: sleeps their total latency, then returns the one other fault, or null.
     * {@code applicable} names the fault types this endpoint can apply (beyond LATENCY). The sleep is real time:
     * latency is not a clock, so the simulator's clock does not shorten it.
     */
    Fault fault(Exchange ex, String tenant, Set<FaultType> applicable) {
        Fault other = null;
        long latency = 0;
        for (Fault f : faults.take(tenant, ex.endpoint, ex.grantType, applicable)) {
            if (f.type() == FaultType.LATENCY) {
                latency += f.latencyMs();
            } else {
                other = f;
            }
        }
        if (latency > 0) {
            try {
                Thread.sleep(latency);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return other;
    }

    /** Applies LATENCY and the generic faults of the exchange's endpoint; true when the fault answered the request. */
    boolean applyFault(Exchange ex, String tenant) throws IOException {
        Fault fault = fault(ex, tenant, GENERIC_FAULTS);
        return fault != null && answerGeneric(ex, fault);
    }

    /** SERVER_ERROR, MALFORMED_JSON and NOT_FOUND answer the request; true when answered. */
    static boolean answerGeneric(Exchange ex, Fault fault) throws IOException {
        switch (fault.type()) {
            case SERVER_ERROR -> {
                ex.json(fault.httpStatus() == 0 ? 503 : fault.httpStatus(), "{\"error\":\"server_error\"}");
                return true;
            }
            case MALFORMED_JSON -> {
                // A body cut off mid-value, as a dropped connection behind a proxy would deliver it.
                ex.json(200, "{\"access_token\":\"abc\",\"token_endpoint\":\"htt");
                return true;
            }
            case NOT_FOUND -> {
                ex.json(404, "{\"error\":\"not_found\"}");
                return true;
            }
            default -> {
                return false;
            }
        }
    }
}
