package dev.smartbroker.simulator.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.smartbroker.simulator.AppRegistration;
import dev.smartbroker.simulator.CernerSimulator;
import dev.smartbroker.simulator.SimulatorConfig;

/**
 * Load test of an embedded simulator over loopback: N concurrent clients (java.net.http, one connection pool each)
 * run each scenario for a bounded time and the bench prints responses per second and latencies.
 *
 * <pre>java -cp cerner-simulator/target/cerner-simulator.jar dev.smartbroker.simulator.bench.SimulatorBench [--seconds 5] [--clients 16] [--warmup 2]</pre>
 *
 * Scenarios: client_credentials with an RS384 assertion (assertions are signed before the timed run, so that the
 * clients' RSA signing does not compete with the simulator for the CPU), refresh_token with client_secret_basic,
 * the full authorization_code path (launcher, authorize with a live EHR session, code exchange) and FHIR reads.
 */
public final class SimulatorBench {

    private static final String TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    private static final String APP = "bench-app";
    private static final String SECRET = "bench-secret";
    private static final String SYSTEM = "bench-system";
    private static final String REDIRECT = "https://bench.example.org/callback";
    private static final Pattern TXN = Pattern.compile("name=\"txn\" value=\"([^\"]+)\"");

    private final int clients;
    private final Duration run;
    private final Duration warmup;
    private CernerSimulator sim;
    private HttpServer jwksServer;
    private RSAKey key;
    private String basic;

    private SimulatorBench(int clients, Duration run, Duration warmup) {
        this.clients = clients;
        this.run = run;
        this.warmup = warmup;
    }

    public static void main(String[] args) throws Exception {
        int clients = 16;
        int seconds = 5;
        int warmup = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: SimulatorBench [--clients 16] [--seconds 5] [--warmup 2]");
                    System.exit(2);
                }
            }
        }
        if (clients < 1 || seconds < 1 || seconds > 300 || warmup < 0 || warmup > 60) {
            throw new IllegalArgumentException("clients >= 1, 1 <= seconds <= 300, 0 <= warmup <= 60");
        }
        new SimulatorBench(clients, Duration.ofSeconds(seconds), Duration.ofSeconds(warmup)).runAll();
    }

    /** One scenario's outcome. */
    private record Result(String name, long ok, long errors, double seconds, long[] latenciesNanos, String unit) {

        String line() {
            long[] sorted = latenciesNanos.clone();
            Arrays.sort(sorted);
            return String.format(Locale.ROOT, "%-46s %9d %7d %6.1f %10.0f %8.2f %8.2f   %s", name, ok, errors, seconds, ok / seconds,
                    percentile(sorted, 0.50), percentile(sorted, 0.99), unit);
        }

        private static double percentile(long[] sorted, double p) {
            return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1e6;
        }
    }

    /** What one virtual client does once; true on success. */
    private interface Step {
        boolean run(Client client) throws Exception;
    }

    /** A virtual client: its own HTTP client, cookies (its clinician's EHR session) and refresh token. */
    private static final class Client {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(5)).build();
        String refreshToken;
        String accessToken;
    }

    private void runAll() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("bench-1").generate();
        // The simulator first: it switches TCP_NODELAY on for the JDK HTTP server before any server starts.
        sim = CernerSimulator.start(SimulatorConfig.defaults().withPort(0));
        startJwks();
        try {
            String jwksUrl = "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json";
            sim.registerApp(new AppRegistration(APP, "Bench App", SECRET, List.of(REDIRECT), "https://bench.example.org/launch",
                    List.of("launch", "openid", "fhirUser", "offline_access", "user/Patient.read", "user/Observation.read"),
                    null, "v1", "provider", false));
            sim.registerApp(new AppRegistration(SYSTEM, "Bench System", null, List.of(), null,
                    List.of("system/Patient.read", "system/Observation.read"), jwksUrl, "v1", "system", false));
            basic = "Basic " + Base64.getEncoder().encodeToString((enc(APP) + ":" + enc(SECRET)).getBytes(StandardCharsets.UTF_8));

            List<Client> pool = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                Client c = new Client();
                codeFlow(c, true);
                pool.add(c);
            }
            System.out.printf(Locale.ROOT, "Cerner simulator benchmark: %d clients, %d s per scenario (+%d s warm-up), %s, %d CPUs, %s%n",
                    clients, run.toSeconds(), warmup.toSeconds(), sim.baseUrl(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));

            // Enough for about 2,500 token responses a second; if they run out, that scenario stops early and its
            // column "s" shows the time it really ran (the rate stays true).
            int expected = (int) Math.min(300_000, Math.max(4_000, 2_500L * (run.toSeconds() + warmup.toSeconds())));
            long mintStart = System.nanoTime();
            ConcurrentLinkedQueue<String> assertions = mint(expected);
            System.out.printf(Locale.ROOT, "(signed %d RS384 assertions in %.1f s before the run)%n%n", assertions.size(),
                    (System.nanoTime() - mintStart) / 1e9);
            System.out.println(String.format(Locale.ROOT, "%-46s %9s %7s %6s %10s %8s %8s", "scenario", "ok", "errors", "s", "per s",
                    "p50 ms", "p99 ms"));

            List<Result> results = new ArrayList<>();
            results.add(scenario("client_credentials, RS384 assertion", pool, c -> clientCredentials(c, assertions), "token responses"));
            results.add(scenario("refresh_token, client_secret_basic", pool, this::refresh, "token responses"));
            results.add(scenario("authorization_code: launcher+authorize+token", pool, c -> codeFlow(c, false), "code exchanges (3 requests each)"));
            results.add(scenario("FHIR read Patient/{id}", pool, this::fhirRead, "FHIR reads"));
            System.out.println();
            System.out.printf(Locale.ROOT, "JWKS fetches by the simulator during the run: %d (cached per Cache-Control max-age=300)%n",
                    sim.requestLog().outbound().size());
        } finally {
            sim.close();
            jwksServer.stop(0);
        }
    }

    private Result scenario(String name, List<Client> pool, Step step, String unit) throws Exception {
        if (!warmup.isZero()) {
            measure(name, pool, step, warmup, unit);
        }
        Result result = measure(name, pool, step, run, unit);
        System.out.println(result.line());
        return result;
    }

    private Result measure(String name, List<Client> pool, Step step, Duration duration, String unit) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(pool.size());
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<Future<long[]>> futures = new ArrayList<>();
        for (Client client : pool) {
            futures.add(threads.submit(() -> {
                long[] latencies = new long[1024];
                int n = 0;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    boolean ok;
                    try {
                        ok = step.run(client);
                    } catch (IllegalStateException exhausted) {
                        break;
                    } catch (Exception e) {
                        ok = false;
                    }
                    if (ok) {
                        if (n == latencies.length) {
                            latencies = Arrays.copyOf(latencies, n * 2);
                        }
                        latencies[n++] = System.nanoTime() - t0;
                    } else {
                        errors.incrementAndGet();
                    }
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : futures) {
            all.add(f.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        threads.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).toArray();
        return new Result(name, merged.length, errors.get(), seconds, merged, unit);
    }

    // ---------------------------------------------------------------- steps

    private boolean clientCredentials(Client c, ConcurrentLinkedQueue<String> assertions) throws Exception {
        String assertion = assertions.poll();
        if (assertion == null) {
            throw new IllegalStateException("assertions used up");
        }
        HttpResponse<String> r = post(c, sim.tokenEndpoint(TENANT), Map.of("grant_type", "client_credentials",
                "scope", "system/Patient.read system/Observation.read",
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", assertion), null);
        return r.statusCode() == 200 && r.body().contains("\"access_token\"");
    }

    private boolean refresh(Client c) throws Exception {
        HttpResponse<String> r = post(c, sim.tokenEndpoint(TENANT), Map.of("grant_type", "refresh_token", "refresh_token", c.refreshToken), basic);
        return r.statusCode() == 200 && r.body().contains("\"access_token\"");
    }

    private boolean fhirRead(Client c) throws Exception {
        HttpResponse<String> r = c.http.send(HttpRequest.newBuilder(URI.create(sim.fhirBase(TENANT) + "/Patient/12724065"))
                .header("Accept", "application/fhir+json").header("Authorization", "Bearer " + c.accessToken).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200;
    }

    /** Launcher, authorize (signing in and consenting the first time), code exchange. */
    private boolean codeFlow(Client c, boolean first) throws Exception {
        HttpResponse<String> launched = post(c, sim.baseUrl() + "/launcher", Map.of("tenant", TENANT, "patient", "12724065", "app", APP), null);
        String launch = query(launched.headers().firstValue("Location").orElseThrow()).get("launch");
        String verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
        Map<String, String> params = new LinkedHashMap<>();
        params.put("response_type", "code");
        params.put("client_id", APP);
        params.put("redirect_uri", REDIRECT);
        params.put("scope", "launch openid fhirUser offline_access user/Patient.read");
        params.put("state", UUID.randomUUID().toString());
        params.put("aud", sim.fhirBase(TENANT));
        params.put("launch", launch);
        params.put("code_challenge", s256(verifier));
        params.put("code_challenge_method", "S256");
        HttpResponse<String> page = c.http.send(HttpRequest.newBuilder(URI.create(sim.authorizationEndpoint(TENANT) + "?" + form(params))).build(),
                HttpResponse.BodyHandlers.ofString());
        String authorizePath = sim.authorizationEndpoint(TENANT);
        for (int i = 0; i < 2 && page.statusCode() == 200; i++) {
            Matcher txn = TXN.matcher(page.body());
            if (!txn.find()) {
                return false;
            }
            page = page.body().contains("id=\"login\"")
                    ? post(c, authorizePath + "/login", Map.of("txn", txn.group(1), "username", "portal", "password", "portal"), null)
                    : post(c, authorizePath + "/consent", Map.of("txn", txn.group(1), "decision", "allow"), null);
        }
        String code = query(page.headers().firstValue("Location").orElse("")).get("code");
        if (code == null) {
            return false;
        }
        HttpResponse<String> token = post(c, sim.tokenEndpoint(TENANT), Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", REDIRECT, "code_verifier", verifier), basic);
        if (token.statusCode() != 200) {
            return false;
        }
        if (first) {
            c.refreshToken = field(token.body(), "refresh_token");
            c.accessToken = field(token.body(), "access_token");
        }
        return true;
    }

    // ---------------------------------------------------------------- helpers

    private ConcurrentLinkedQueue<String> mint(int count) throws Exception {
        ConcurrentLinkedQueue<String> out = new ConcurrentLinkedQueue<>();
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        RSASSASigner signer = new RSASSASigner(key);
        String aud = sim.tokenEndpoint(TENANT);
        for (int t = 0; t < threads; t++) {
            int share = count / threads + (t < count % threads ? 1 : 0);
            futures.add(pool.submit(() -> {
                for (int i = 0; i < share; i++) {
                    long now = System.currentTimeMillis();
                    // HL7: exp at most 5 minutes ahead; the run is bounded well within that.
                    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(SYSTEM).subject(SYSTEM).audience(aud)
                            .expirationTime(new Date(now + 290_000)).jwtID(UUID.randomUUID().toString()).build();
                    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(key.getKeyID())
                            .type(JOSEObjectType.JWT).build(), claims);
                    try {
                        jwt.sign(signer);
                    } catch (JOSEException e) {
                        throw new IllegalStateException(e);
                    }
                    out.add(jwt.serialize());
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        return out;
    }

    private void startJwks() throws IOException {
        jwksServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwksServer.createContext("/jwks.json", http -> {
            http.getResponseHeaders().set("Content-Type", "application/json");
            http.getResponseHeaders().set("Cache-Control", "max-age=300");
            http.sendResponseHeaders(200, body.length);
            try (OutputStream out = http.getResponseBody()) {
                out.write(body);
            }
        });
        jwksServer.start();
    }

    private static HttpResponse<String> post(Client c, String url, Map<String, String> form, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(form(form)));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return c.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String form(Map<String, String> values) {
        return values.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        int q = url.indexOf('?');
        if (q >= 0) {
            for (String pair : url.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new UncheckedIOException(new IOException("no " + name + " in the token response"));
        }
        return m.group(1);
    }

    private static String s256(String verifier) throws NoSuchAlgorithmException {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    }
}
