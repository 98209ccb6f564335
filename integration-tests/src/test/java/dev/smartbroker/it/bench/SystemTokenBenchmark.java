package dev.smartbroker.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Benchmark, not part of the IT run (its name does not match Failsafe's patterns). Run it with {@code bench/system-token}.
 *
 * <p>Side by side in one Keycloak: a confidential client asks {@code /cerner/system-token} for a Cerner system token
 * that Keycloak already holds (served from cache), and the same client asks Keycloak's own token endpoint for a
 * {@code client_credentials} token, which Keycloak signs. Both authenticate the client the same way (client secret,
 * HTTP Basic) and both record a Keycloak event. The two scenarios alternate in rounds (A B, then B A, ...) so drift
 * of this noisy machine hits both; the figure to read is the median of the per-round throughput ratios.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class SystemTokenBenchmark {

    private static final String CLIENT = "population-health-job";
    private static final String SECRET = "population-health-secret";

    private final Environment env;
    private final int clients = Integer.getInteger("bench.clients", 8);
    private final int rounds = Integer.getInteger("bench.rounds", 6);
    private final int seconds = Integer.getInteger("bench.seconds", 5);
    private final int warmupSeconds = Integer.getInteger("bench.warmup", 15);

    SystemTokenBenchmark(Environment env) {
        this.env = env;
    }

    record Scenario(String name, Supplier<HttpRequest> request) {
    }

    record Result(int ok, int errors, double seconds, long[] latenciesNanos) {

        double perSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            long[] sorted = latenciesNanos.clone();
            Arrays.sort(sorted);
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
        }
    }

    @Test
    void cached_system_token_versus_keycloak_client_credentials() throws Exception {
        String basic = "Basic " + Base64.getEncoder().encodeToString((CLIENT + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
        String systemTokenUrl = env.realmUrl() + "/cerner/system-token";
        String keycloakTokenUrl = env.realmUrl() + "/protocol/openid-connect/token";
        Scenario systemToken = new Scenario("cached Cerner system token  POST /realms/{r}/cerner/system-token",
                () -> form(systemTokenUrl, basic, "tenant=" + Environment.SANDBOX_IDP + "&scope=system%2FPatient.read"));
        Scenario keycloakToken = new Scenario("Keycloak client_credentials POST /realms/{r}/protocol/openid-connect/token",
                () -> form(keycloakTokenUrl, basic, "grant_type=client_credentials"));

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            // Fills the cache: the one upstream call of the whole benchmark.
            run(http, pool, systemToken, 1);
            run(http, pool, keycloakToken, 1);
            run(http, pool, systemToken, warmupSeconds);
            run(http, pool, keycloakToken, warmupSeconds);

            Instant measured = Instant.now();
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "SystemTokenBenchmark: %d clients, %d rounds of %d s per scenario, JDK %s, %d cores",
                    clients, rounds, seconds, Runtime.version(), Runtime.getRuntime().availableProcessors()));
            lines.add(String.format(Locale.ROOT, "%-5s %10s %10s %8s %8s %10s %8s %8s %8s", "round", "cerner/s", "errors", "p50 ms",
                    "p99 ms", "keycloak/s", "p50 ms", "p99 ms", "ratio"));
            double[] ratios = new double[rounds];
            int errors = 0;
            for (int round = 0; round < rounds; round++) {
                Result cerner;
                Result keycloak;
                if (round % 2 == 0) {
                    cerner = run(http, pool, systemToken, seconds);
                    keycloak = run(http, pool, keycloakToken, seconds);
                } else {
                    keycloak = run(http, pool, keycloakToken, seconds);
                    cerner = run(http, pool, systemToken, seconds);
                }
                errors += cerner.errors() + keycloak.errors();
                ratios[round] = cerner.perSecond() / keycloak.perSecond();
                lines.add(String.format(Locale.ROOT, "%-5d %10.0f %10d %8.2f %8.2f %10.0f %8.2f %8.2f %8.2f", round + 1, cerner.perSecond(),
                        cerner.errors() + keycloak.errors(), cerner.percentileMillis(0.50), cerner.percentileMillis(0.99), keycloak.perSecond(),
                        keycloak.percentileMillis(0.50), keycloak.percentileMillis(0.99), ratios[round]));
            }
            long upstream = env.simulator().requestLog().entries().stream()
                    .filter(r -> !r.at().isBefore(measured) && r.endpoint() == Endpoint.TOKEN).count();
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            double median = rounds % 2 == 1 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
            lines.add(String.format(Locale.ROOT, "median ratio cached system token / Keycloak client_credentials: %.2f (min %.2f, max %.2f)",
                    median, sorted[0], sorted[rounds - 1]));
            lines.add("calls to Cerner's token endpoint while measuring: " + upstream + "; failed requests: " + errors);

            String report = String.join(System.lineSeparator(), lines);
            System.out.println(report);
            Path out = Path.of("target", "bench", "system-token.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report + System.lineSeparator());

            assertThat(errors).as("failed requests").isZero();
            assertThat(upstream).as("every system token came from Keycloak's cache").isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    private static HttpRequest form(String url, String basic, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** {@code clients} threads send the scenario's request back to back for {@code seconds}; stops by itself. */
    private Result run(HttpClient http, ExecutorService pool, Scenario scenario, int seconds) throws Exception {
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        List<Future<long[]>> workers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            workers.add(pool.submit(() -> {
                long[] latencies = new long[1024];
                int n = 0;
                int failed = 0;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    boolean ok;
                    try {
                        HttpResponse<byte[]> response = http.send(scenario.request().get(), HttpResponse.BodyHandlers.ofByteArray());
                        ok = response.statusCode() == 200;
                    } catch (IOException e) {
                        ok = false;
                    }
                    long t1 = System.nanoTime();
                    if (ok) {
                        if (n == latencies.length) {
                            latencies = Arrays.copyOf(latencies, n * 2);
                        }
                        latencies[n++] = t1 - t0;
                    } else {
                        failed++;
                    }
                }
                long[] result = Arrays.copyOf(latencies, n + 1);
                result[n] = failed;
                return result;
            }));
        }
        List<long[]> all = new ArrayList<>();
        int errors = 0;
        for (Future<long[]> worker : workers) {
            long[] r = worker.get();
            errors += (int) r[r.length - 1];
            all.add(Arrays.copyOf(r, r.length - 1));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] latencies = all.stream().flatMapToLong(Arrays::stream).toArray();
        return new Result(latencies.length, errors, elapsed, latencies);
    }
}
