package dev.smartbroker.it.bench.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The launch benchmark (run it with {@code bench/launch}; not part of the IT run: it lives in {@code src/bench}, which
 * only the {@code launch-bench} profile compiles).
 *
 * <p>In the one Keycloak of the test environment, whole EHR launches through the broker against whole brokered
 * logins through Keycloak's stock {@code oidc} identity provider ({@link StockComparator}), both against the same
 * simulated Cerner tenant, driven by Gatling virtual browsers ({@link LaunchSimulation}) in alternating rounds
 * ({@link Schedule}), at each concurrency of {@code bench.concurrency}. With {@code bench.tenants} above 3 it then
 * has that many Cerner tenants in all ({@link ExtraTenants}) and runs the same rounds again, to compare a launch
 * among many tenants with a launch among three.
 *
 * <p>It reports and never judges speed: it fails only when a launch failed (any error, warm-up included) or the set-up
 * did. The report goes to stdout and {@code target/bench/launch.txt}; Gatling's own HTML reports to
 * {@code target/gatling/}.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchBenchmark {

    static final List<String> PATIENTS = List.of("12724065", "12724066", "12724067", "12724068", "12724069");
    private static final String BROKER_CLINICIAN = SerialLaunches.BROKER_CLINICIAN;

    private final Environment env;
    private final BenchSettings settings = BenchSettings.fromSystemProperties();
    private final String tenant = Environment.SANDBOX_TENANT;

    LaunchBenchmark(Environment env) {
        this.env = env;
    }

    /** A serial launch done before the run: proves the set-up and tells who the ID tokens must name. */
    record Probe(String subject, String upstreamScope) {
    }

    /** One Gatling run: one concurrency of one phase. */
    record RunResult(int browsers, List<SlotResult> slots, Map<String, Integer> warmupErrors, String stopReason, boolean complete,
                     int gatlingStatus, double seconds) {

        int errors() {
            return slots.stream().mapToInt(SlotResult::errors).sum() + warmupErrors.values().stream().mapToInt(Integer::intValue).sum()
                    + (complete ? 0 : 1) + (gatlingStatus == 0 ? 0 : 1);
        }
    }

    /** The runs of one realm configuration. */
    record Phase(String name, int tenants, List<RunResult> runs, String note) {
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void broker_launches_versus_stock_brokered_logins() throws IOException {
        String loadBefore = loadAverage();
        long started = System.nanoTime();
        IdTokenCheck tokens = new IdTokenCheck(env.realmUrl(), Http.get(env.realmUrl() + "/protocol/openid-connect/certs", null).body());
        Probe broker = probeBroker();
        ProcessCpu cpu = ProcessCpu.forKeycloak(env.keycloak().home());
        List<Phase> phases = new ArrayList<>();
        Phase jvmWarmup = null;
        String leftovers;
        try (StockComparator stock = StockComparator.install(env, broker.upstreamScope())) {
            Probe stockProbe = probeStock(stock);
            stock.removeUserOnClose(stockProbe.subject());
            assertThat(scopeSet(stockProbe.upstreamScope())).as("the stock provider asks Cerner for the broker's scopes")
                    .isEqualTo(scopeSet(broker.upstreamScope()));
            RunPlan.Party brokerParty = new RunPlan.Party(Launches.APP, Launches.APP_SECRET, env.sampleAppUrl() + "/login/oauth2/code/keycloak",
                    BROKER_CLINICIAN, BROKER_CLINICIAN, broker.subject(), Environment.SANDBOX_IDP, Environment.BROKER_CLIENT_ID);
            RunPlan.Party stockParty = new RunPlan.Party(StockComparator.CLIENT_ID, StockComparator.CLIENT_SECRET, stock.redirectUri(),
                    StockComparator.CERNER_USER, StockComparator.CERNER_USER, stockProbe.subject(), StockComparator.ALIAS,
                    Environment.BROKER_CLIENT_ID);

            if (settings.jvmWarmupRounds() > 0) {
                int browsers = settings.highestConcurrency();
                System.out.printf(java.util.Locale.ROOT, "[launch bench] JVM warm-up, %d browser(s) per comparator%n", browsers);
                jvmWarmup = new Phase("JVM warm-up (discarded)", BenchSettings.BASE_TENANTS, List.of(run("JVM warm-up", browsers,
                        settings.jvmWarmupRounds(), BenchSettings.JVM_WARMUP_SLICE_SECONDS, 0, cpu, tokens, brokerParty, stockParty)), null);
            }
            phases.add(phase("3 tenants", BenchSettings.BASE_TENANTS, null, cpu, tokens, brokerParty, stockParty));
            if (settings.manyTenants()) {
                try (ExtraTenants extra = ExtraTenants.register(env, settings.extraTenants())) {
                    String note = String.format(java.util.Locale.ROOT, "%d extra Cerner identity providers written in %.1f s",
                            extra.size(), extra.registrationTime().toMillis() / 1000.0);
                    System.out.println("[launch bench] " + note);
                    phases.add(phase(settings.tenants() + " tenants", settings.tenants(), note, cpu, tokens, brokerParty, stockParty));
                }
            }
        }
        leftovers = leftovers();

        String report = Report.render(settings, env, cpu, jvmWarmup, phases, loadBefore, loadAverage(),
                Duration.ofNanos(System.nanoTime() - started), leftovers);
        System.out.println(report);
        Path out = Path.of("target", "bench", "launch.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report + System.lineSeparator());

        int errors = Report.errors(jvmWarmup, phases);
        assertThat(errors).as("failed launches (see " + out.toAbsolutePath() + ")").isZero();
        assertThat(leftovers).as("what the benchmark registered is gone").isEmpty();
    }

    // ------------------------------------------------------------------ the runs

    private Phase phase(String name, int tenants, String note, ProcessCpu cpu, IdTokenCheck tokens, RunPlan.Party broker, RunPlan.Party stock) {
        List<RunResult> runs = new ArrayList<>();
        for (int browsers : settings.concurrencies()) {
            System.out.printf(java.util.Locale.ROOT, "[launch bench] %s, %d browser(s) per comparator%n", name, browsers);
            runs.add(run(name, browsers, settings.rounds(), settings.seconds(), settings.warmupSeconds(), cpu, tokens, broker, stock));
        }
        return new Phase(name, tenants, runs, note);
    }

    private RunResult run(String phase, int browsers, int rounds, int roundSeconds, int warmupSeconds, ProcessCpu cpu, IdTokenCheck tokens,
                          RunPlan.Party broker, RunPlan.Party stock) {
        Duration budget = settings.maxRunDuration();
        int slots = 2 * (rounds + (warmupSeconds > 0 ? 1 : 0));
        long planned = 2L * warmupSeconds + 2L * rounds * roundSeconds;
        if (Duration.ofSeconds(planned + 30).compareTo(budget) > 0) {
            throw new IllegalStateException("the rounds (" + planned + " s) do not fit into bench.maxMinutes=" + settings.maxMinutes());
        }
        long start = System.nanoTime();
        Schedule schedule = new Schedule(browsers, rounds, Duration.ofSeconds(roundSeconds).toNanos(),
                Duration.ofSeconds(warmupSeconds).toNanos(), settings.maxLaunchesPerRound(),
                start + budget.minusSeconds(10).toNanos(), cpu::keycloakNanos, ProcessCpu::jvmNanos, env.simulator().clock()::instant,
                line -> System.out.println("[launch bench] " + line));
        RunPlan plan = new RunPlan(schedule, env.simulator(), tenant, env.simulator().fhirBase(tenant), env.realmUrl(), env.sampleAppUrl(),
                broker, stock, tokens, PATIENTS, budget);
        if (!LaunchSimulation.PLAN.compareAndSet(null, plan)) {
            throw new IllegalStateException("another launch simulation is running");
        }
        int status;
        try {
            status = io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
                    "--simulation", LaunchSimulation.class.getName(),
                    "--results-folder", Path.of("target", "gatling").toAbsolutePath().toString(),
                    "--run-description", phase + ", " + browsers + " browser(s) per comparator"});
        } finally {
            LaunchSimulation.PLAN.set(null);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<LoggedRequest> log = env.simulator().requestLog().entries();
        List<SlotResult> results = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            results.add(SlotResult.of(schedule.slot(i), browsers, log));
        }
        Map<String, Integer> warmup = new java.util.TreeMap<>();
        schedule.warmupErrors().forEach((reason, count) -> warmup.put(reason, count.get()));
        return new RunResult(browsers, results, warmup, schedule.stopReason(), schedule.complete(), status, seconds);
    }

    // ------------------------------------------------------------------ set-up probes (serial, support classes)

    /** One broker launch by the IT support classes: creates the clinician and tells what the broker asks Cerner for. */
    private Probe probeBroker() {
        SerialLaunches.Done done = new SerialLaunches(env, tenant).broker(PATIENTS.get(0));
        assertThat(done.idToken().path("patient").asText()).as("the probe launch's patient").isEqualTo(PATIENTS.get(0));
        String subject = done.idToken().path("sub").asText();
        assertLinked(subject, Environment.SANDBOX_IDP, tenant + "/Practitioner/12742069");
        return new Probe(subject, new SerialLaunches(env, tenant).scopeSentToCerner(done.browser()));
    }

    /** One stock login by the IT support classes: creates the comparator's user and proves the recipe works. */
    private Probe probeStock(StockComparator stock) {
        SerialLaunches.Done done = new SerialLaunches(env, tenant).stock(stock, PATIENTS.get(0));
        String subject = done.idToken().path("sub").asText();
        assertLinked(subject, StockComparator.ALIAS, StockComparator.CERNER_USER);
        return new Probe(subject, new SerialLaunches(env, tenant).scopeSentToCerner(done.browser()));
    }

    private void assertLinked(String userId, String alias, String federatedUserId) {
        JsonNode links = env.admin().get("/realms/" + env.realm() + "/users/" + userId + "/federated-identity").json();
        assertThat(links).as("the ID token's user is linked to " + alias)
                .anySatisfy(link -> {
                    assertThat(link.path("identityProvider").asText()).isEqualTo(alias);
                    assertThat(link.path("userId").asText()).isEqualTo(federatedUserId);
                });
    }

    private static Set<String> scopeSet(String scope) {
        return new TreeSet<>(Arrays.asList(scope.trim().split("\\s+")));
    }

    /** What the benchmark registered and is still there (empty when cleaned up). */
    private String leftovers() {
        List<String> left = new ArrayList<>();
        String realm = "/realms/" + env.realm();
        int extra = 0;
        for (JsonNode idp : env.admin().get(realm + "/identity-provider/instances?briefRepresentation=true&first=0&max="
                + (BenchSettings.MAX_TENANTS + 100)).json()) {
            String alias = idp.path("alias").asText();
            if (alias.equals(StockComparator.ALIAS)) {
                left.add("identity provider " + alias);
            } else if (alias.startsWith(ExtraTenants.PREFIX)) {
                extra++;
            }
        }
        if (extra > 0) {
            left.add(extra + " extra tenants");
        }
        if (env.admin().get(realm + "/clients?clientId=" + StockComparator.CLIENT_ID).json().size() > 0) {
            left.add("client " + StockComparator.CLIENT_ID);
        }
        boolean redirectLeft = env.simulator().apps().stream().filter(a -> a.clientId().equals(Environment.BROKER_CLIENT_ID))
                .anyMatch(a -> a.redirectUris().stream().anyMatch(u -> u.contains("/broker/" + StockComparator.ALIAS + "/")));
        if (redirectLeft) {
            left.add("the comparator's redirect URI at the simulator");
        }
        return String.join(", ", left);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
