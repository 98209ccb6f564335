package dev.smartbroker.it.bench.launch;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.LoggedRequest;

/**
 * The figures of one slot (one round of one comparator), computed once the run is over. Latencies are exact
 * (sorted per-launch values, no histogram buckets).
 */
record SlotResult(Comparator comparator, int round, int browsers, int launches, int errors, Map<String, Integer> errorReasons,
                  double seconds, long[] totalNanos, Map<Step, long[]> stepNanos, double keycloakCpuMillis,
                  double jvmCpuMillis, Map<Endpoint, Integer> backChannel, int cernerFrontChannel, long requests) {

    /** Calls a relying party makes to Cerner server to server. */
    static final List<Endpoint> BACK_CHANNEL = List.of(Endpoint.DISCOVERY, Endpoint.METADATA, Endpoint.OIDC_CONFIGURATION,
            Endpoint.TOKEN, Endpoint.REVOKE, Endpoint.JWKS, Endpoint.FHIR);

    static SlotResult of(Schedule.Slot slot, int browsers, List<LoggedRequest> simulatorLog) {
        List<long[]> launches = List.copyOf(slot.launches);
        long[] totals = new long[launches.size()];
        Map<Step, long[]> steps = new EnumMap<>(Step.class);
        for (Step step : Step.values()) {
            steps.put(step, new long[launches.size()]);
        }
        for (int i = 0; i < launches.size(); i++) {
            long[] launch = launches.get(i);
            long total = 0;
            for (Step step : Step.values()) {
                steps.get(step)[i] = launch[step.ordinal()];
                total += launch[step.ordinal()];
            }
            totals[i] = total;
        }
        Arrays.sort(totals);
        steps.values().forEach(Arrays::sort);
        Map<String, Integer> reasons = new TreeMap<>();
        slot.errors.forEach((reason, count) -> reasons.put(reason, count.get()));
        boolean ran = slot.openedAt != 0 && slot.closedAt != 0;
        double seconds = ran ? (slot.closedAt - slot.openedAt) / 1e9 : Double.NaN;
        Map<Endpoint, Integer> backChannel = new EnumMap<>(Endpoint.class);
        BACK_CHANNEL.forEach(e -> backChannel.put(e, 0));
        int front = 0;
        if (ran && slot.simulatorOpened != null && slot.simulatorClosed != null) {
            for (LoggedRequest request : simulatorLog) {
                if (request.at().isBefore(slot.simulatorOpened) || request.at().isAfter(slot.simulatorClosed)) {
                    continue;
                }
                if (backChannel.containsKey(request.endpoint())) {
                    backChannel.merge(request.endpoint(), 1, Integer::sum);
                } else if (request.endpoint() == Endpoint.AUTHORIZE) {
                    front++;
                }
            }
        }
        double keycloakCpu = ran && slot.keycloakCpuOpened >= 0 ? (slot.keycloakCpuClosed - slot.keycloakCpuOpened) / 1e6 : Double.NaN;
        double jvmCpu = ran && slot.jvmCpuOpened >= 0 ? (slot.jvmCpuClosed - slot.jvmCpuOpened) / 1e6 : Double.NaN;
        return new SlotResult(slot.comparator, slot.round, browsers, launches.size(), slot.errorCount(), reasons, seconds, totals, steps,
                keycloakCpu, jvmCpu, backChannel, front, slot.requests.get());
    }

    boolean measured() {
        return round > 0;
    }

    double perSecond() {
        return launches / seconds;
    }

    double p50() {
        return percentileMillis(totalNanos, 0.50);
    }

    double p95() {
        return percentileMillis(totalNanos, 0.95);
    }

    double mean() {
        return meanMillis(totalNanos);
    }

    double keycloakCpuPerLaunch() {
        return launches == 0 ? Double.NaN : keycloakCpuMillis / launches;
    }

    double jvmCpuPerLaunch() {
        return launches == 0 ? Double.NaN : jvmCpuMillis / launches;
    }

    int backChannelCalls() {
        return backChannel.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Back-channel calls per launch; errors are attempts too, so they count in the denominator. */
    double backChannelPerLaunch() {
        int attempts = launches + errors;
        return attempts == 0 ? Double.NaN : (double) backChannelCalls() / attempts;
    }

    static double percentileMillis(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    static double meanMillis(long[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (long v : values) {
            sum += v;
        }
        return sum / values.length / 1e6;
    }

    static double median(double[] values) {
        double[] finite = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (finite.length == 0) {
            return Double.NaN;
        }
        int n = finite.length;
        return n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
    }
}
