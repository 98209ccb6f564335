package dev.smartbroker.it.bench.launch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.simulator.Endpoint;

/**
 * The benchmark's text report. Its last line is the one-line summary
 * {@code launch ratio broker/stock p50=<x> mean=<y> launches/s broker=<a> stock=<b> errors=<n>}:
 * p50 and mean are the worse (higher) of the per-concurrency ratios of the medians over rounds, launches/s are the
 * medians over rounds at the highest concurrency, errors count every failed launch of the invocation (browser
 * warm-ups, warm-up rounds, measured rounds, every phase) plus runs that did not finish.
 */
final class Report {

    private final List<String> lines = new ArrayList<>();

    private Report() {
    }

    /** The measured rounds of one comparator in one run, pooled where pooling makes sense. */
    record Summary(Comparator comparator, List<SlotResult> rounds) {

        double perSecond() {
            return SlotResult.median(rounds.stream().mapToDouble(SlotResult::perSecond).toArray());
        }

        double p50() {
            return SlotResult.median(rounds.stream().mapToDouble(SlotResult::p50).toArray());
        }

        double mean() {
            return SlotResult.median(rounds.stream().mapToDouble(SlotResult::mean).toArray());
        }

        double p95() {
            return SlotResult.median(rounds.stream().mapToDouble(SlotResult::p95).toArray());
        }

        int errors() {
            return rounds.stream().mapToInt(SlotResult::errors).sum();
        }

        int launches() {
            return rounds.stream().mapToInt(SlotResult::launches).sum();
        }

        long[] pooled(Step step) {
            long[] all = rounds.stream().flatMapToLong(r -> Arrays.stream(r.stepNanos().get(step))).sorted().toArray();
            return all;
        }

        double stepMean(Step step) {
            return SlotResult.meanMillis(pooled(step));
        }

        double stepP50(Step step) {
            return SlotResult.percentileMillis(pooled(step), 0.5);
        }

        double keycloakCpuPerLaunch() {
            double cpu = rounds.stream().mapToDouble(SlotResult::keycloakCpuMillis).sum();
            return launches() == 0 ? Double.NaN : cpu / launches();
        }

        double jvmCpuPerLaunch() {
            double cpu = rounds.stream().mapToDouble(SlotResult::jvmCpuMillis).sum();
            return launches() == 0 ? Double.NaN : cpu / launches();
        }

        double requestsPerLaunch() {
            long requests = rounds.stream().mapToLong(SlotResult::requests).sum();
            return launches() == 0 ? Double.NaN : (double) requests / launches();
        }

        /** Back-channel calls at Cerner per attempted launch, by endpoint (those with any). */
        Map<Endpoint, Double> backChannelPerLaunch() {
            int attempts = rounds.stream().mapToInt(r -> r.launches() + r.errors()).sum();
            Map<Endpoint, Double> perLaunch = new TreeMap<>();
            for (Endpoint endpoint : SlotResult.BACK_CHANNEL) {
                int calls = rounds.stream().mapToInt(r -> r.backChannel().get(endpoint)).sum();
                if (calls > 0) {
                    perLaunch.put(endpoint, attempts == 0 ? Double.NaN : (double) calls / attempts);
                }
            }
            return perLaunch;
        }

        double backChannelTotalPerLaunch() {
            return backChannelPerLaunch().values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    static Summary summary(LaunchBenchmark.RunResult run, Comparator comparator) {
        return new Summary(comparator, run.slots().stream().filter(s -> s.measured() && s.comparator() == comparator).toList());
    }

    /** broker / stock of one quantity of one run. */
    static double ratio(LaunchBenchmark.RunResult run, java.util.function.ToDoubleFunction<Summary> quantity) {
        return quantity.applyAsDouble(summary(run, Comparator.BROKER)) / quantity.applyAsDouble(summary(run, Comparator.STOCK));
    }

    /** Failed launches of the invocation: the JVM warm-up's (when there was one) and every phase's. */
    static int errors(LaunchBenchmark.Phase jvmWarmup, List<LaunchBenchmark.Phase> phases) {
        return (jvmWarmup == null ? 0 : jvmWarmup.runs().stream().mapToInt(LaunchBenchmark.RunResult::errors).sum())
                + phases.stream().flatMap(p -> p.runs().stream()).mapToInt(LaunchBenchmark.RunResult::errors).sum();
    }

    /**
     * @param jvmWarmup the discarded run before the phases, or null; shown slice by slice, so that a reader sees whether
     *                  Keycloak had settled before the measured phases began
     */
    static String render(BenchSettings settings, Environment env, ProcessCpu cpu, LaunchBenchmark.Phase jvmWarmup,
                         List<LaunchBenchmark.Phase> phases, String loadBefore, String loadAfter, Duration elapsed, String leftovers) {
        Report r = new Report();
        r.add("Launch benchmark: whole EHR launches through the broker vs Keycloak's stock oidc brokering, same Keycloak, same simulated Cerner tenant");
        r.add("Keycloak %s (pid %s, %s), JDK %s, %d cores; load average %s at start, %s at the end; %.0f s in all",
                env.keycloak().home().getFileName().toString().replace("keycloak-", ""), cpu.found() ? String.valueOf(cpu.keycloakPid()) : "not found",
                "log level " + System.getProperty("it.keycloak.logLevel", "INFO,dev.smartbroker:debug (as in the ITs)") + ", database "
                        + (env.keycloak().jdbcUrl().startsWith("jdbc:postgresql:") ? "PostgreSQL (a server of its own, on loopback)" : "H2 (dev-file)"),
                Runtime.version(), Runtime.getRuntime().availableProcessors(), loadBefore,
                loadAfter, elapsed.toMillis() / 1000.0);
        r.add("%s; broker and stock rounds alternate (A B, B A, ...); Gatling %s virtual browsers, closed model", settings.describe(), "3.15.1");
        r.add("broker: createLaunch -> Launch URI -> app /auth (PKCE S256, kc_launch) -> Cerner authorize -> broker callback -> code exchange;"
                + " ID token must name the launched patient and tenant");
        r.add("stock:  createLaunch -> app /auth (kc_idp_hint, launch, aud, prompt=login, PKCE S256) -> Cerner authorize -> callback -> code"
                + " exchange; ID token must be the comparator's user");
        r.add("every ID token: signature, iss, aud, exp, this request's nonce, sub; each browser: own cookie jar and connections, signed in"
                + " at Cerner once before measuring, consent remembered");
        r.add("times in ms; steps are means per launch and add up to the mean; CPU in ms per launch (Keycloak process; this JVM = Gatling"
                + " + simulator); back-channel = calls Keycloak made to Cerner per launch");

        if (jvmWarmup != null) {
            r.slices(jvmWarmup);
        }
        for (LaunchBenchmark.Phase phase : phases) {
            for (LaunchBenchmark.RunResult run : phase.runs()) {
                r.run(phase, run);
            }
        }
        if (phases.size() > 1) {
            r.tenants(phases);
        }
        int errors = errors(jvmWarmup, phases);
        r.add("");
        r.add("errors in all: %d%s", errors, leftovers.isEmpty() ? "; everything the benchmark registered was removed"
                : "; NOT removed: " + leftovers);
        r.add("Gatling's HTML reports (per request): integration-tests/target/gatling/");
        r.add(lastLine(phases.get(0), errors));
        return String.join(System.lineSeparator(), r.lines);
    }

    static String lastLine(LaunchBenchmark.Phase base, int errors) {
        double p50 = base.runs().stream().mapToDouble(run -> ratio(run, Summary::p50)).max().orElse(Double.NaN);
        double mean = base.runs().stream().mapToDouble(run -> ratio(run, Summary::mean)).max().orElse(Double.NaN);
        LaunchBenchmark.RunResult highest = base.runs().stream().max(java.util.Comparator.comparingInt(LaunchBenchmark.RunResult::browsers))
                .orElseThrow();
        return String.format(Locale.ROOT, "launch ratio broker/stock p50=%.2f mean=%.2f launches/s broker=%.1f stock=%.1f errors=%d", p50, mean,
                summary(highest, Comparator.BROKER).perSecond(), summary(highest, Comparator.STOCK).perSecond(), errors);
    }

    /** The JVM warm-up: one line per slice, no ratios (nothing of it is measured). */
    private void slices(LaunchBenchmark.Phase warmup) {
        for (LaunchBenchmark.RunResult run : warmup.runs()) {
            add("");
            add("== %s, concurrency %d, %.0f s: launches/s and p50 per slice, in order ==", warmup.name(), run.browsers(), run.seconds());
            StringBuilder broker = new StringBuilder("broker:");
            StringBuilder stock = new StringBuilder("stock: ");
            for (SlotResult slot : run.slots()) {
                StringBuilder side = slot.comparator() == Comparator.BROKER ? broker : stock;
                side.append(String.format(Locale.ROOT, " %.1f/s %.1f ms;", slot.perSecond(), slot.p50()));
            }
            add("%s", broker);
            add("%s", stock);
            if (run.errors() > 0) {
                add("errors: %d (%s)", run.errors(), run.slots().stream().filter(s -> s.errors() > 0).map(s -> s.comparator().label() + " " + s.errorReasons()).toList());
            }
        }
    }

    private void run(LaunchBenchmark.Phase phase, LaunchBenchmark.RunResult run) {
        add("");
        add("== %s, concurrency %d (%d browser%s per comparator), %.0f s ==", phase.name(), run.browsers(), run.browsers(),
                run.browsers() == 1 ? "" : "s", run.seconds());
        if (phase.note() != null) {
            add("%s", phase.note());
        }
        add("%-7s %-6s %8s %9s %7s %7s %7s %6s | %9s %9s %7s %8s %8s | %6s %6s %6s %5s", "round", "side", "launches", "launch/s", "p50", "mean",
                "p95", "errors", "LaunchURI", "authorize", "Cerner", "callback", "exchange", "KC cpu", "JVM", "back-ch", "req");
        for (SlotResult slot : run.slots()) {
            add("%-7s %-6s %8d %9.1f %7.2f %7.2f %7.2f %6d | %9.2f %9.2f %7.2f %8.2f %8.2f | %6.2f %6.2f %6.2f %5.1f",
                    slot.measured() ? String.valueOf(slot.round()) : "warm-up", slot.comparator().label(), slot.launches(), slot.perSecond(),
                    slot.p50(), slot.mean(), slot.p95(), slot.errors(), SlotResult.meanMillis(slot.stepNanos().get(Step.LAUNCH_URI)),
                    SlotResult.meanMillis(slot.stepNanos().get(Step.AUTHORIZE)), SlotResult.meanMillis(slot.stepNanos().get(Step.CERNER)),
                    SlotResult.meanMillis(slot.stepNanos().get(Step.CALLBACK)), SlotResult.meanMillis(slot.stepNanos().get(Step.EXCHANGE)),
                    slot.keycloakCpuPerLaunch(), slot.jvmCpuPerLaunch(), slot.backChannelPerLaunch(),
                    slot.launches() == 0 ? Double.NaN : (double) slot.requests() / slot.launches());
        }
        Summary broker = summary(run, Comparator.BROKER);
        Summary stock = summary(run, Comparator.STOCK);
        add("%-14s %8d %9.1f %7.2f %7.2f %7.2f %6d | %9.2f %9.2f %7.2f %8.2f %8.2f | %6.2f %6.2f %6.2f %5.1f", "median broker", broker.launches(),
                broker.perSecond(), broker.p50(), broker.mean(), broker.p95(), broker.errors(), broker.stepMean(Step.LAUNCH_URI),
                broker.stepMean(Step.AUTHORIZE), broker.stepMean(Step.CERNER), broker.stepMean(Step.CALLBACK), broker.stepMean(Step.EXCHANGE),
                broker.keycloakCpuPerLaunch(), broker.jvmCpuPerLaunch(), broker.backChannelTotalPerLaunch(), broker.requestsPerLaunch());
        add("%-14s %8d %9.1f %7.2f %7.2f %7.2f %6d | %9.2f %9.2f %7.2f %8.2f %8.2f | %6.2f %6.2f %6.2f %5.1f", "median stock", stock.launches(),
                stock.perSecond(), stock.p50(), stock.mean(), stock.p95(), stock.errors(), stock.stepMean(Step.LAUNCH_URI),
                stock.stepMean(Step.AUTHORIZE), stock.stepMean(Step.CERNER), stock.stepMean(Step.CALLBACK), stock.stepMean(Step.EXCHANGE),
                stock.keycloakCpuPerLaunch(), stock.jvmCpuPerLaunch(), stock.backChannelTotalPerLaunch(), stock.requestsPerLaunch());
        add("(median rows: launches summed, launch/s p50 mean p95 = medians over the rounds; steps, CPU, back-channel pooled over the rounds)");
        StringBuilder split = new StringBuilder("extra time of a broker launch by step, mean (p50):");
        for (Step step : Step.values()) {
            split.append(String.format(Locale.ROOT, " %s %+.2f (%+.2f);", step.label(), broker.stepMean(step) - stock.stepMean(step),
                    nanToZero(broker.stepP50(step)) - nanToZero(stock.stepP50(step))));
        }
        split.append(String.format(Locale.ROOT, " total %+.2f ms", broker.mean() - stock.mean()));
        add("%s", split);
        double[] paired = pairedP50Ratios(run);
        add("ratio broker/stock: p50 %.2f (rounds %s), mean %.2f, p95 %.2f, launches/s %.2f, Keycloak CPU per launch %.2f",
                ratio(run, Summary::p50), Arrays.stream(paired).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).collect(Collectors.joining(" ")),
                ratio(run, Summary::mean), ratio(run, Summary::p95), ratio(run, Summary::perSecond), ratio(run, Summary::keycloakCpuPerLaunch));
        add("back-channel calls to Cerner per launch: broker %s; stock %s", describe(broker.backChannelPerLaunch()),
                describe(stock.backChannelPerLaunch()));
        if (!run.warmupErrors().isEmpty()) {
            add("browser warm-up errors: %s", run.warmupErrors());
        }
        for (SlotResult slot : run.slots()) {
            if (!slot.errorReasons().isEmpty()) {
                add("errors in %s %s: %s", slot.measured() ? "round " + slot.round() : "warm-up round", slot.comparator().label(), slot.errorReasons());
            }
        }
        if (!run.complete()) {
            add("RUN DID NOT FINISH: %s", run.stopReason() == null ? "Gatling stopped it (maxDuration) before every slot ran" : run.stopReason());
        }
        if (run.gatlingStatus() != 0) {
            add("Gatling exited with status %d", run.gatlingStatus());
        }
    }

    private void tenants(List<LaunchBenchmark.Phase> phases) {
        LaunchBenchmark.Phase base = phases.get(0);
        for (LaunchBenchmark.Phase phase : phases.subList(1, phases.size())) {
            add("");
            add("== %s against %s, same invocation: broker figures, ratio %s / %s ==", phase.name(), base.name(), phase.tenants(), base.tenants());
            for (LaunchBenchmark.RunResult run : phase.runs()) {
                LaunchBenchmark.RunResult reference = base.runs().stream().filter(r -> r.browsers() == run.browsers()).findFirst().orElse(null);
                if (reference == null) {
                    continue;
                }
                Summary many = summary(run, Comparator.BROKER);
                Summary few = summary(reference, Comparator.BROKER);
                add("concurrency %d: broker p50 %.2f vs %.2f ms (x%.2f), mean %.2f vs %.2f ms (x%.2f), launches/s %.1f vs %.1f (x%.2f), Launch URI"
                                + " step %.2f vs %.2f ms; relative to stock in the same phase: p50 x%.2f, mean x%.2f",
                        run.browsers(), many.p50(), few.p50(), many.p50() / few.p50(), many.mean(), few.mean(), many.mean() / few.mean(),
                        many.perSecond(), few.perSecond(), many.perSecond() / few.perSecond(), many.stepMean(Step.LAUNCH_URI),
                        few.stepMean(Step.LAUNCH_URI), ratio(run, Summary::p50) / ratio(reference, Summary::p50),
                        ratio(run, Summary::mean) / ratio(reference, Summary::mean));
            }
            add("%s", tenantsLine(base, phase));
        }
    }

    /** The worse concurrency's broker p50 and mean ratios (many tenants / three), launches/s at the highest concurrency. */
    static String tenantsLine(LaunchBenchmark.Phase base, LaunchBenchmark.Phase phase) {
        double p50 = 0;
        double mean = 0;
        double normalised = 0;
        double perSecond = Double.NaN;
        int highest = 0;
        for (LaunchBenchmark.RunResult run : phase.runs()) {
            LaunchBenchmark.RunResult reference = base.runs().stream().filter(r -> r.browsers() == run.browsers()).findFirst().orElse(null);
            if (reference == null) {
                continue;
            }
            Summary many = summary(run, Comparator.BROKER);
            Summary few = summary(reference, Comparator.BROKER);
            p50 = Math.max(p50, many.p50() / few.p50());
            mean = Math.max(mean, many.mean() / few.mean());
            normalised = Math.max(normalised, ratio(run, Summary::p50) / ratio(reference, Summary::p50));
            if (run.browsers() >= highest) {
                highest = run.browsers();
                perSecond = many.perSecond() / few.perSecond();
            }
        }
        return String.format(Locale.ROOT, "tenants ratio %d/%d broker p50=%.2f mean=%.2f launches/s=%.2f (p50 relative to stock=%.2f)",
                phase.tenants(), base.tenants(), p50, mean, perSecond, normalised);
    }

    private static double[] pairedP50Ratios(LaunchBenchmark.RunResult run) {
        Map<Integer, double[]> byRound = new TreeMap<>();
        for (SlotResult slot : run.slots()) {
            if (slot.measured()) {
                byRound.computeIfAbsent(slot.round(), k -> new double[2])[slot.comparator().ordinal()] = slot.p50();
            }
        }
        return byRound.values().stream().mapToDouble(pair -> pair[0] / pair[1]).toArray();
    }

    private static String describe(Map<Endpoint, Double> perLaunch) {
        if (perLaunch.isEmpty()) {
            return "none";
        }
        return perLaunch.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private void add(String format, Object... args) {
        lines.add(String.format(Locale.ROOT, format, args));
    }
}
