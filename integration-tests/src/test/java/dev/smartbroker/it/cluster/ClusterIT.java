package dev.smartbroker.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.ManagedProcess;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.Listeners;
import dev.smartbroker.it.support.Ports;
import dev.smartbroker.simulator.AppRegistration;
import dev.smartbroker.simulator.CernerSimulator;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.SimulatorConfig;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Two Keycloak nodes with the broker on one PostgreSQL, set up with the commands of {@code docs/production.md}
 * (taken from the page itself, see {@link ProductionDoc}), against the embedded Cerner simulator. Both nodes have
 * one public hostname on which nothing listens; each step of a launch is sent to the node the test picks.
 *
 * <p>The tests run in order on one cluster's life: formed; a launch across both nodes; system tokens per node;
 * node A killed with launches in flight; A restarted; the whole cluster restarted, with launches in flight that end on
 * the broker's "Launch expired" page or the sample app's. Every process (two nodes, PostgreSQL, the sample app) is
 * stopped in {@link #stopEverything()}, whatever happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    static final String WILMA = "12724065";
    static final String NANCY = "12724066";
    static final String JOE = "12724067";
    static final String HAILEY = "12724068";
    static final String TIMMY = "12724069";
    static final String JOB = "population-health-job";
    static final String JOB_SECRET = "population-health-secret";
    static final String SYSTEM_ACCOUNT_ID = "smart-broker-demo-system";
    static final String SYSTEM_SCOPE = "system/Patient.read system/Observation.read";
    static final List<String> PROVIDER_SCOPES = List.of("launch", "openid", "fhirUser", "profile", "online_access",
            "offline_access", "user/Patient.read", "user/Encounter.read", "user/Observation.read", "user/Practitioner.read");
    static final Duration FIRST_START = Duration.ofMinutes(3);
    static final Duration START = Duration.ofMinutes(2);
    static final Duration VIEW = Duration.ofSeconds(90);
    /** The sample app's page for a code Keycloak refuses (sample-app/README.md). */
    static final String APP_LAUNCH_EXPIRED = "This launch has expired or was already used. "
            + "Close this window and open the app again from the patient's chart.";
    /** The launch error page's line for the help desk: its time (UTC) and the event's reference. */
    static final Pattern REFERENCE_LINE = Pattern.compile(
            "Time: (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) UTC \u00b7 Reference: ([2-9A-Z]{4}-[2-9A-Z]{4})");

    private static final List<ClusterNode> NODES = new ArrayList<>();
    private static Path observationsFile;

    private Path work;
    private ProductionDoc doc;
    private CernerSimulator simulator;
    private Postgres postgres;
    private ClusterNode a;
    private ClusterNode b;
    private NodeRouting routing;
    private ManagedProcess sampleApp;
    private Map<String, String> nodeEnv;
    private final Map<String, Launch> finished = new LinkedHashMap<>();

    /** A finished launch the tests keep using: its patient and the app's latest tokens. */
    record Launch(String patient, OidcClient.TokenResponse tokens) {
    }

    @RegisterExtension
    static final TestWatcher LOGS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            for (ClusterNode node : NODES) {
                if (node.log() != null) {
                    System.err.println("==== " + context.getDisplayName() + " failed; " + node.name() + " log (tail) " + node.log() + " ====");
                    System.err.println(Shell.tail(node.log(), 60));
                }
            }
        }
    };

    // ------------------------------------------------------------------------------------------------ set-up

    @BeforeAll
    void startCluster() throws IOException {
        work = Path.of(System.getProperty("cluster.work.dir", "target/cluster"));
        Files.createDirectories(work);
        observationsFile = work.resolve("observations.md");
        Files.writeString(observationsFile, "# ClusterIT observations, " + Instant.now() + "\n\n", StandardCharsets.UTF_8);
        doc = ProductionDoc.load(Path.of(System.getProperty("production.doc", "../docs/production.md")));
        try {
            startEverything();
        } catch (IOException | RuntimeException | Error e) {
            stopEverything();
            throw e;
        }
    }

    private void startEverything() throws IOException {
        simulator = CernerSimulator.start(SimulatorConfig.defaults().withPort(Ports.free()));
        // Cerner's own codes must not be what expires while the test restarts nodes: that is not what it measures.
        simulator.settings(NodeRouting.SANDBOX_TENANT).codeLifetimeSeconds = 900;
        String publicUrl = "https://127.0.0.1:" + Ports.free();
        String appUrl = "http://127.0.0.1:" + Ports.free();
        routing = new NodeRouting(publicUrl, appUrl, simulator);

        String dbPassword = ClusterFiles.randomSecret();
        postgres = Postgres.start(doc, work.resolve("pg"), dbPassword, "127.0.0.1/32");

        Path built = buildDistribution();
        a = node("node-a", built);
        b = node("node-b", built);
        registerBroker();
        for (ClusterNode node : List.of(a, b)) {
            Map<String, String> values = new HashMap<>();
            values.put("PUBLIC_HOST", publicUrl.substring("https://".length()));
            values.put("PROXY_ADDRESSES", "127.0.0.1");
            values.put("NODE_ADDRESS", "127.0.0.1");
            values.put("HTTP_PORT", String.valueOf(node.httpPort));
            values.put("MANAGEMENT_PORT", String.valueOf(node.managementPort));
            values.put("CLUSTER_PORT", String.valueOf(node.clusterPort));
            values.put("DB_HOST", "127.0.0.1");
            values.put("DB_PORT", String.valueOf(postgres.port()));
            values.put("DB_PASSWORD", dbPassword);
            Shell.runOk(doc.command("keycloak-config", values), node.home(), null, Map.of(), work.resolve("logs/config.log"), Duration.ofSeconds(30));
        }

        // The demo realm's placeholders, resolved by --import-realm, as the single-node ITs' Environment does.
        nodeEnv = Map.of("SMART_SIMULATOR_URL", simulator.baseUrl(), "SAMPLE_APP_URL", appUrl);
        Path realm = work.resolve("smart-realm.json");
        Files.writeString(realm, resource("realms/demo/smart-realm.json"), StandardCharsets.UTF_8);
        String firstStart = doc.command("keycloak-first-start", Map.of("TEMPORARY_ADMIN", "admin",
                "TEMPORARY_ADMIN_PASSWORD", "admin", "REALM_JSON", realm.toString()));
        a.start(firstStart + "\n" + doc.command("keycloak-start", Map.of()) + " --import-realm", nodeEnv);
        a.awaitReady(FIRST_START);
        startNode(b);
        a.awaitView(2, 0, VIEW);

        // The realm's code lifetime (60 s) is widened so that a code parked across a restart is lost only if the
        // restart loses it, never because the machine was slow.
        new KeycloakAdmin(a.url()).update("/realms/smart", realm1 -> realm1.put("accessCodeLifespan", 900));
        observe("Public hostname " + publicUrl + " (nothing listens); node A " + a.url() + ", node B " + b.url()
                + "; PostgreSQL 127.0.0.1:" + postgres.port());
    }

    /** The distribution the ITs unpacked, copied (never changed in place) and built with the doc's build command. */
    private Path buildDistribution() throws IOException {
        Path home = Path.of(System.getProperty("keycloak.home"));
        Path jars = Path.of(System.getProperty("providers.dir"));
        Path built = work.resolve("keycloak-built");
        Map<String, String> values = Map.of("BROKER_JARS_DIR", jars.toString());
        String build = doc.command("keycloak-build", values);
        String fingerprint = ClusterFiles.fingerprint(home + "\n" + build, jars);
        Path marker = built.resolve(".cluster-it-build");
        if (Files.exists(marker) && Files.readString(marker).equals(fingerprint)) {
            observe("Build reused: same distribution, jars and build command as the last run");
            return built;
        }
        ClusterFiles.copyTree(home, built, true);
        ClusterFiles.deleteTree(built.resolve("providers"));
        Files.createDirectories(built.resolve("providers"));
        long began = System.nanoTime();
        Shell.runOk(build, built, null, Map.of(), work.resolve("logs/keycloak-build.log"), Duration.ofMinutes(5));
        observe("kc.sh build took " + (System.nanoTime() - began) / 1_000_000_000 + " s");
        Files.writeString(marker, fingerprint);
        return built;
    }

    private ClusterNode node(String name, Path built) throws IOException {
        Path home = work.resolve(name);
        ClusterFiles.nodeCopy(built, home);
        ClusterNode node = new ClusterNode(name, home, work.resolve("logs"), Ports.free(), Ports.free(), clusterPort());
        NODES.add(node);
        return node;
    }

    /**
     * A JGroups port whose failure-detection twin (port + 50000, Keycloak's default offset) is free too: the test
     * runs the doc's configuration unchanged, so it needs both. Probed below the ephemeral range.
     */
    private static int clusterPort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 10000 + new java.security.SecureRandom().nextInt(5000);
            if (bindable(port) && bindable(port + 50000)) {
                return port;
            }
        }
        throw new IllegalStateException("no free pair of ports p, p+50000 found on 127.0.0.1");
    }

    private static boolean bindable(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void startNode(ClusterNode node) {
        node.start(doc.command("keycloak-start", Map.of()), nodeEnv);
        node.awaitReady(START);
    }

    /** The broker's registrations at the simulated Cerner, on the public hostname, as Environment.registerBroker does. */
    private void registerBroker() {
        String realm = routing.publicUrl() + "/realms/smart";
        simulator.registerApp(new AppRegistration(NodeRouting.BROKER_CLIENT_ID, "SMART broker demo", "demo-broker-secret",
                List.of(realm + "/broker/cerner-sandbox/endpoint"), realm + "/smart-launch/sample-app", PROVIDER_SCOPES, null, "v1",
                "provider", false));
        // Cerner fetches the assertion keys from the JWKS URL. Nothing listens on the public hostname here, so the
        // simulator is given node B's own URL (node B is never killed alone; the keys are the realm's, the same on
        // every node).
        simulator.registerApp(new AppRegistration(SYSTEM_ACCOUNT_ID, "SMART broker demo (system account)", null, List.of(), null,
                List.of("system/Patient.read", "system/Observation.read", "system/Encounter.read"), b.realmUrl() + "/cerner/jwks",
                "v1", "system", false));
    }

    @AfterAll
    void stopEverything() {
        for (ClusterNode node : List.copyOf(NODES)) {
            try {
                node.stop();
            } catch (RuntimeException e) {
                node.kill();
            }
        }
        if (sampleApp != null) {
            sampleApp.stop();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (simulator != null) {
            simulator.close();
        }
        NODES.clear();
    }

    // ------------------------------------------------------------------------------------------------ the cluster

    @Test
    @Order(1)
    void two_nodes_form_one_cluster_through_the_database_and_issue_one_issuer() {
        assertThat(a.views(0)).as("node A's cluster views").contains(2);
        assertThat(b.views(0)).as("node B's cluster views").contains(2);
        // jdbc-ping: the members are found through a table of the shared database.
        assertThat(Integer.parseInt(postgres.query("keycloak", "select count(*) from jgroups_ping"))).isEqualTo(2);

        for (ClusterNode node : List.of(a, b)) {
            JsonNode discovery = Http.get(node.realmUrl() + "/.well-known/openid-configuration", null).json();
            assertThat(discovery.path("issuer").asText()).as(node.name() + " issuer").isEqualTo(routing.issuer());
            assertThat(discovery.path("token_endpoint").asText()).startsWith(routing.issuer() + "/");

            List<Listeners.Listener> listeners = node.listeners();
            assertThat(listeners).as(node.name() + " listens on loopback only").allMatch(Listeners.Listener::loopback);
            Set<Integer> ports = listeners.stream().map(Listeners.Listener::port).collect(Collectors.toSet());
            assertThat(ports).as(node.name() + " ports").contains(node.httpPort, node.managementPort, node.clusterPort, node.clusterPort + 50000);
            List<Listeners.Listener> others = listeners.stream().filter(l -> !Set.of(node.httpPort, node.managementPort,
                    node.clusterPort, node.clusterPort + 50000).contains(l.port())).toList();
            observe(node.name() + " listens on http " + node.httpPort + ", management " + node.managementPort + ", JGroups "
                    + node.clusterPort + " and " + (node.clusterPort + 50000) + ", and besides: " + others);
            assertThat(others).as(node.name() + ": one more port, Keycloak's transaction recovery").hasSize(1);

            Path out = work.resolve("logs/" + node.name() + "-health.txt");
            Shell.runOk(doc.command("health-check", Map.of("NODE_ADDRESS", "127.0.0.1", "MANAGEMENT_PORT", String.valueOf(node.managementPort))),
                    work, null, Map.of(), out, Duration.ofSeconds(30));
            String health = read(out);
            assertThat(health).contains("\"status\": \"UP\"");
            assertThat(metric(health, "vendor_cluster_size")).as(node.name() + " cluster size metric").isEqualTo(2.0);
            // Every metric docs/production.md §7 tells operators to watch is there under that name.
            for (String name : List.of("agroal_active_count", "agroal_awaiting_count", "process_cpu_time_ns_total",
                    "jvm_memory_used_bytes", "http_server_requests_seconds_count")) {
                assertThat(metric(health, name)).as(node.name() + " metric " + name).isNotNull();
            }
        }
        String expected = System.getProperty("keycloak.dist.version");
        Matcher version = Pattern.compile("Keycloak (\\S+) on JVM").matcher(a.logText());
        assertThat(version.find()).as("Keycloak's start line in node A's log").isTrue();
        observe("Keycloak " + version.group(1) + (expected == null ? "" : " (asked for " + expected + ")"));
        if (expected != null && !expected.isBlank() && !expected.startsWith("${")) {
            assertThat(version.group(1)).as("the distribution -Dkeycloak.dist.version asked for").isEqualTo(expected);
        }
    }

    // ------------------------------------------------------------------------------------------------ launches

    @Test
    @Order(2)
    void a_launch_whose_steps_alternate_between_the_nodes_keeps_its_patient_at_every_step() {
        Browser browser = new Browser();
        String handle = routing.openLaunchUri(browser, WILMA, a);
        NodeRouting.AtCerner atCerner = routing.authorize(browser, handle, NodeRouting.alternating(List.of(b, a)));
        NodeRouting.WithCode code = routing.callback(atCerner, NodeRouting.alternating(List.of(a, b)));
        OidcClient.TokenResponse tokens = routing.exchange(code, b);
        assertThat(tokens.status()).as(tokens.json().toString()).isEqualTo(200);
        assertLaunchTokens(tokens, WILMA);
        assertThat(tokens.accessTokenClaims().path("iss").asText()).isEqualTo(routing.issuer());

        OidcClient.TokenResponse refreshed = routing.refresh(a, tokens.refreshToken());
        assertThat(refreshed.status()).as(refreshed.json().toString()).isEqualTo(200);
        assertThat(refreshed.accessTokenClaims().path("patient").asText()).isEqualTo(WILMA);
        assertThat(refreshed.accessTokenClaims().path("smart_launch").asText())
                .isEqualTo(tokens.accessTokenClaims().path("smart_launch").asText());
        assertThat(routing.userinfo(b, refreshed.accessToken()).path("patient").asText()).isEqualTo(WILMA);
        assertCernerToken(a, refreshed.accessToken(), WILMA);
        assertCernerToken(b, tokens.accessToken(), WILMA);

        List<String> served = servedBy(browser);
        observe("Alternating launch, Keycloak requests in order: " + served
                + "; then code exchange on B, refresh on A, userinfo on B, launch-token on A and B");
        assertThat(served.get(0)).isEqualTo("A /realms/smart/smart-launch/sample-app");
        assertThat(served).contains("B /realms/smart/protocol/openid-connect/auth", "A /realms/smart/broker/cerner-sandbox/endpoint");
        assertSecureCrossSiteCookies(browser);
        finished.put("WILMA, across both nodes", new Launch(WILMA, refreshed));
    }

    @Test
    @Order(2)
    void logging_out_on_the_other_node_deletes_the_launch_row_in_the_shared_database() {
        Browser browser = new Browser();
        String handle = routing.openLaunchUri(browser, NANCY, a);
        OidcClient.TokenResponse tokens = routing.exchange(routing.callback(routing.authorize(browser, handle, NodeRouting.only(a)),
                NodeRouting.only(a)), a);
        assertLaunchTokens(tokens, NANCY);
        String launchId = tokens.accessTokenClaims().path("smart_launch").asText();
        assertThat(launchId).matches("[0-9a-f]{11}-[A-Za-z0-9]{16}");
        String rowCount = "select count(*) from smart_launch where id = '" + launchId + "'";
        assertThat(postgres.query("keycloak", rowCount)).as("the launch's row, written through node A").isEqualTo("1");

        Browser.Page logout = browser.follow(browser.get(b.realmUrl() + "/protocol/openid-connect/logout?client_id=" + NodeRouting.APP
                + "&id_token_hint=" + tokens.idToken()));
        assertThat(logout.status()).isLessThan(400);
        assertThat(postgres.query("keycloak", rowCount)).as("the row after logout on node B").isEqualTo("0");
    }

    @Test
    @Order(2)
    void beyond_twenty_launches_in_one_app_session_either_node_deletes_the_oldest_row_in_the_shared_database() {
        Browser browser = new Browser();
        List<String> launchIds = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            launchIds.add(fullLaunch(browser, i % 2 == 0 ? WILMA : JOE, i % 2 == 0 ? a : b).accessTokenClaims().path("smart_launch").asText());
        }
        assertThat(launchIds).allMatch(id -> id.matches("[0-9a-f]{11}-[A-Za-z0-9]{16}")).doesNotHaveDuplicates();
        assertThat(postgres.query("keycloak", "select count(*) from smart_launch where id = '" + launchIds.get(0) + "'"))
                .as("the oldest launch's row, after the 21st launch was staged on node A").isEqualTo("0");
        assertThat(postgres.query("keycloak", "select count(*) from smart_launch where id in ('"
                + String.join("', '", launchIds.subList(1, launchIds.size())) + "')")).as("the kept launches' rows").isEqualTo("20");
    }

    @Test
    @Order(3)
    void each_node_fetches_its_own_system_token_once_per_scope_set() {
        long before = clientCredentials();
        List<String> onA = new ArrayList<>();
        List<String> onB = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            onA.add(systemToken(a));
            onB.add(systemToken(b));
        }
        assertThat(Set.copyOf(onA)).as("node A reuses its token").hasSize(1);
        assertThat(Set.copyOf(onB)).as("node B reuses its token").hasSize(1);
        assertThat(onA.get(0)).as("each node has its own cache").isNotEqualTo(onB.get(0));
        assertThat(clientCredentials() - before).as("client_credentials calls at Cerner for 2 nodes").isEqualTo(2);
    }

    @Test
    @Order(4)
    void launches_in_flight_on_a_killed_node_complete_on_the_survivor_with_their_own_patients() {
        OidcClient.TokenResponse hailey = fullLaunch(new Browser(), HAILEY, a);
        finished.put("HAILEY, all on A before the kill", new Launch(HAILEY, hailey));

        // Three launches parked mid-flight on node A.
        Browser nancyBrowser = new Browser();
        String nancyHandle = routing.openLaunchUri(nancyBrowser, NANCY, a);
        NodeRouting.AtCerner joe = routing.authorize(new Browser(), routing.openLaunchUri(new Browser(), JOE, a), NodeRouting.only(a));
        Browser timmyBrowser = new Browser();
        NodeRouting.WithCode timmy = routing.callback(
                routing.authorize(timmyBrowser, routing.openLaunchUri(timmyBrowser, TIMMY, a), NodeRouting.only(a)), NodeRouting.only(a));

        long before = clientCredentials();
        int bLogAtKill = b.logText().length();
        Instant killed = Instant.now();
        a.kill();
        assertThat(a.isAlive()).isFalse();

        // The code not yet exchanged (the most time-bound), then the launch at Cerner, then the parked handle.
        long began = System.nanoTime();
        OidcClient.TokenResponse timmyTokens = routing.exchange(timmy, b);
        long firstRequestMillis = (System.nanoTime() - began) / 1_000_000;
        assertThat(timmyTokens.status()).as(timmyTokens.json().toString()).isEqualTo(200);
        assertLaunchTokens(timmyTokens, TIMMY);

        OidcClient.TokenResponse joeTokens = routing.exchange(routing.callback(joe, NodeRouting.only(b)), b);
        assertThat(joeTokens.status()).as(joeTokens.json().toString()).isEqualTo(200);
        assertLaunchTokens(joeTokens, JOE);

        OidcClient.TokenResponse nancyTokens = routing.exchange(
                routing.callback(routing.authorize(nancyBrowser, nancyHandle, NodeRouting.only(b)), NodeRouting.only(b)), b);
        assertThat(nancyTokens.status()).as(nancyTokens.json().toString()).isEqualTo(200);
        assertLaunchTokens(nancyTokens, NANCY);

        // Launches finished before the kill: refresh, userinfo and the Cerner token on the survivor.
        for (Map.Entry<String, Launch> entry : finished.entrySet()) {
            Launch launch = entry.getValue();
            OidcClient.TokenResponse refreshed = routing.refresh(b, launch.tokens().refreshToken());
            assertThat(refreshed.status()).as(entry.getKey() + ": " + refreshed.json()).isEqualTo(200);
            assertThat(refreshed.accessTokenClaims().path("patient").asText()).as(entry.getKey()).isEqualTo(launch.patient());
            assertThat(routing.userinfo(b, refreshed.accessToken()).path("patient").asText()).isEqualTo(launch.patient());
            assertCernerToken(b, refreshed.accessToken(), launch.patient());
            entry.setValue(new Launch(launch.patient(), refreshed));
        }
        assertThat(systemToken(b)).isNotBlank();
        assertThat(clientCredentials() - before).as("the survivor still has its system token").isZero();

        b.awaitView(1, bLogAtKill, VIEW);
        observe("Node A killed (SIGKILL) " + killed + "; first request to B afterwards took " + firstRequestMillis
                + " ms; B's views after the kill: " + b.views(bLogAtKill) + "; B ready: " + ClusterNode.status(b.managementUrl() + "/health/ready"));
        finished.put("TIMMY, code exchanged on B after the kill", new Launch(TIMMY, timmyTokens));
        finished.put("JOE, Cerner callback on B after the kill", new Launch(JOE, joeTokens));
        finished.put("NANCY, handle used on B after the kill", new Launch(NANCY, nancyTokens));
    }

    @Test
    @Order(5)
    void the_restarted_node_rejoins_and_serves_the_same_launches() {
        int bLog = b.logText().length();
        long before = clientCredentials();
        long began = System.nanoTime();
        startNode(a);
        a.awaitView(2, 0, VIEW);
        b.awaitView(2, bLog, VIEW);
        observe("Node A restarted: ready in " + (System.nanoTime() - began) / 1_000_000_000 + " s; A's views " + a.views(0)
                + ", B's views since " + b.views(bLog));

        for (Map.Entry<String, Launch> entry : finished.entrySet()) {
            Launch launch = entry.getValue();
            OidcClient.TokenResponse refreshed = routing.refresh(a, launch.tokens().refreshToken());
            assertThat(refreshed.status()).as(entry.getKey() + ": " + refreshed.json()).isEqualTo(200);
            assertThat(refreshed.accessTokenClaims().path("patient").asText()).as(entry.getKey()).isEqualTo(launch.patient());
            assertThat(routing.userinfo(a, refreshed.accessToken()).path("patient").asText()).isEqualTo(launch.patient());
            assertCernerToken(a, refreshed.accessToken(), launch.patient());
            entry.setValue(new Launch(launch.patient(), refreshed));
        }
        // A new launch across both nodes again.
        Browser browser = new Browser();
        String handle = routing.openLaunchUri(browser, JOE, b);
        OidcClient.TokenResponse tokens = routing.exchange(routing.callback(
                routing.authorize(browser, handle, NodeRouting.only(a)), NodeRouting.only(b)), a);
        assertLaunchTokens(tokens, JOE);

        // The restarted node lost its system-token cache and fetches once; the other node still has its own.
        String first = systemToken(a);
        assertThat(systemToken(a)).isEqualTo(first);
        systemToken(b);
        assertThat(clientCredentials() - before).as("client_credentials calls after node A's restart").isEqualTo(1);
    }

    @Test
    @Order(6)
    void a_whole_cluster_restart_ends_every_in_flight_launch_on_a_clear_page_and_keeps_finished_ones() throws IOException {
        // In flight: a handle from the Launch URI, an authorization request waiting at Cerner, and a code not yet
        // exchanged, once held by the test's app client (to see Keycloak's answer) and once by the sample app itself
        // (to see what the clinician sees).
        ManagedProcess app = startSampleApp();
        Browser handleBrowser = new Browser();
        String handle = routing.openLaunchUri(handleBrowser, WILMA, a);
        NodeRouting.AtCerner atCerner = routing.authorize(new Browser(), routing.openLaunchUri(new Browser(), NANCY, b), NodeRouting.only(b));
        Browser codeBrowser = new Browser();
        NodeRouting.WithCode code = routing.callback(
                routing.authorize(codeBrowser, routing.openLaunchUri(codeBrowser, HAILEY, a), NodeRouting.only(a)), NodeRouting.only(a));
        Browser appBrowser = new Browser();
        Browser.Page codeForTheApp = routing.throughTheSampleApp(appBrowser, routing.openLaunchUri(appBrowser, JOE, a), NodeRouting.only(a));

        long began = System.nanoTime();
        Instant restarted = Instant.now();
        b.stop();
        a.stop();
        assertThat(a.isAlive() || b.isAlive()).as("both nodes stopped").isFalse();
        startNode(a);
        observe("Whole cluster stopped (SIGTERM to both) and node A started again in " + (System.nanoTime() - began) / 1_000_000_000 + " s");
        KeycloakAdmin admin = new KeycloakAdmin(a.url());

        // The code not yet exchanged: Keycloak's answer to the app's code exchange...
        OidcClient.TokenResponse exchanged = routing.exchange(code, a);
        observe("After the whole-cluster restart, code not yet exchanged: the app's token request answered " + exchanged.status()
                + " error=" + exchanged.json().path("error").asText() + " error_description='"
                + exchanged.json().path("error_description").asText() + "' (code " + Duration.between(code.issued(), Instant.now()).toSeconds() + " s old)");
        assertThat(exchanged.status()).isEqualTo(400);
        assertThat(exchanged.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(exchanged.json().path("error_description").asText()).isEqualTo("Code not valid");
        assertNoPatient(exchanged);

        // ... and the sample app's page when Keycloak's redirect hands it its code.
        appBrowser.clearHistory();
        Browser.Page appPage = appBrowser.get(codeForTheApp.location());
        observe("After the whole-cluster restart, code not yet exchanged by the sample app: " + appPage.status() + " page title '"
                + appPage.document().title() + "', #launch-expired '" + appPage.text("#launch-expired") + "'");
        assertThat(appPage.status()).as(appPage.body()).isEqualTo(400);
        assertThat(appPage.document().title()).isEqualTo("Launch expired");
        assertThat(appPage.text("#launch-expired")).isEqualTo(APP_LAUNCH_EXPIRED);
        assertThat(appPage.body()).doesNotContain("invalid_grant", "Code not valid", "Whitelabel", "Exception");
        List<JsonNode> refused = awaitEvents(admin, restarted, "CODE_TO_TOKEN_ERROR", 2);
        assertThat(refused).as("the two refused code exchanges").allSatisfy(e -> {
            assertThat(e.path("error").asText()).isEqualTo("invalid_code");
            assertThat(e.path("clientId").asText()).isEqualTo(NodeRouting.APP);
        });

        // The authorization request waiting at Cerner: Cerner's redirect back to the broker, whose callback finds no
        // login for the state (Keycloak records expired_code) and answers with the page itself.
        atCerner.browser().clearHistory();
        Browser.Page afterCallback = routing.settle(atCerner.browser(), atCerner.callback(), NodeRouting.only(a),
                l -> l.startsWith(routing.redirectUri()));
        recordOutcome("authorization request waiting for Cerner's callback", atCerner.browser(), afterCallback);
        assertNoServerError(atCerner.browser());
        assertThat(servedBy(atCerner.browser())).as("requests after Cerner's redirect")
                .containsExactly("A /realms/smart/broker/cerner-sandbox/endpoint");
        assertLaunchExpiredPage(admin, restarted, afterCallback, "IDENTITY_PROVIDER_LOGIN_ERROR");
        assertThat(awaitEvents(admin, restarted, "IDENTITY_PROVIDER_LOGIN_ERROR", 2)).extracting(e -> e.path("error").asText())
                .containsExactlyInAnyOrder("expired_code", "smart_launch_expired");

        // The parked Launch URI handle: the app's login forwarding it.
        handleBrowser.clearHistory();
        OidcClient.AuthorizationRequest request = routing.app(a).authorizationRequest(Map.of("kc_launch", handle));
        Browser.Page afterHandle = routing.settle(handleBrowser, handleBrowser.get(request.url()), NodeRouting.only(a),
                l -> l.startsWith(routing.redirectUri()));
        recordOutcome("Launch URI handle parked before the restart", handleBrowser, afterHandle);
        assertNoServerError(handleBrowser);
        assertThat(servedBy(handleBrowser)).as("requests of the app's login").containsExactly("A /realms/smart/protocol/openid-connect/auth");
        assertLaunchExpiredPage(admin, restarted, afterHandle, "LOGIN_ERROR");

        observe("Events recorded since the restart: " + postgres.query("keycloak",
                "select string_agg(type || coalesce(' ' || error, '') || coalesce(' reason=' || (details_json::json ->> 'reason'), ''), '; ' order by event_time)"
                        + " from event_entity where event_time >= " + restarted.toEpochMilli()));
        app.stop();

        int aLog = a.logText().length();
        startNode(b);
        a.awaitView(2, aLog, VIEW);

        // Finished launches: user sessions are persisted, so refresh and the Cerner token still work, on both nodes.
        for (Map.Entry<String, Launch> entry : finished.entrySet()) {
            Launch launch = entry.getValue();
            OidcClient.TokenResponse refreshed = routing.refresh(b, launch.tokens().refreshToken());
            assertThat(refreshed.status()).as(entry.getKey() + " after the whole-cluster restart: " + refreshed.json()).isEqualTo(200);
            assertThat(refreshed.accessTokenClaims().path("patient").asText()).as(entry.getKey()).isEqualTo(launch.patient());
            assertCernerToken(a, refreshed.accessToken(), launch.patient());
        }
        // And a new launch works at once.
        assertLaunchTokens(fullLaunch(new Browser(), TIMMY, b), TIMMY);
    }

    @Test
    @Order(7)
    void keycloak_says_a_rolling_update_is_possible_between_identical_builds() {
        Path metadata = work.resolve("update-compatibility.json");
        Path out = work.resolve("logs/update-compatibility.log");
        Map<String, String> values = Map.of("METADATA_FILE", metadata.toString());
        Shell.runOk(doc.command("update-compatibility-metadata", values), a.home(), null, Map.of(), out, Duration.ofMinutes(2));
        int exit = Shell.run(doc.command("update-compatibility-check", values), b.home(), null, Map.of(), out, Duration.ofMinutes(2));
        observe("update-compatibility check on the same build: exit " + exit + "; " + lastLine(out));
        assertThat(exit).as(Shell.tail(out, 20)).isZero();
    }

    @Test
    @Order(8)
    void every_command_of_the_production_page_was_run() throws IOException {
        Set<String> marked = doc.blocks(ProductionDoc.CLUSTER_IT).stream().map(ProductionDoc.Block::id).collect(Collectors.toSet());
        assertThat(doc.used()).as("blocks of docs/production.md this test ran").containsExactlyInAnyOrderElementsOf(marked);
        String ciRun = Files.readString(Path.of(System.getProperty("ci.run", "../.ci/run")), StandardCharsets.UTF_8);
        for (ProductionDoc.Block block : doc.blocks(ProductionDoc.CI_RUN)) {
            assertThat(ciRun).as(".ci/run runs the block '" + block.id() + "' of docs/production.md")
                    .contains("doc_block " + block.id());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private OidcClient.TokenResponse fullLaunch(Browser browser, String patient, ClusterNode node) {
        String handle = routing.openLaunchUri(browser, patient, node);
        OidcClient.TokenResponse tokens = routing.exchange(routing.callback(
                routing.authorize(browser, handle, NodeRouting.only(node)), NodeRouting.only(node)), node);
        assertThat(tokens.status()).as(tokens.json().toString()).isEqualTo(200);
        assertLaunchTokens(tokens, patient);
        return tokens;
    }

    private static void assertLaunchTokens(OidcClient.TokenResponse tokens, String patient) {
        assertThat(tokens.idTokenClaims().path("patient").asText()).as("id_token patient").isEqualTo(patient);
        assertThat(tokens.accessTokenClaims().path("patient").asText()).as("access token patient").isEqualTo(patient);
        assertThat(tokens.json().path("patient").asText()).as("token response patient").isEqualTo(patient);
        assertThat(tokens.accessTokenClaims().path("smart_launch").asText()).isNotBlank();
    }

    /** The launch's Cerner token from {@code node}: its patient, and a token Cerner issued that reads that patient. */
    private void assertCernerToken(ClusterNode node, String accessToken, String patient) {
        Http.Reply reply = routing.launchToken(node, accessToken);
        assertThat(reply.status()).as(node.name() + " launch-token: " + reply.body()).isEqualTo(200);
        assertThat(reply.json().path("patient").asText()).isEqualTo(patient);
        String cernerToken = reply.json().path("access_token").asText();
        assertThat(simulator.issuedTokens()).anySatisfy(t -> assertThat(t.value()).isEqualTo(cernerToken));
        Http.Reply chart = Http.get(reply.json().path("fhir_base").asText() + "/Patient/" + patient, cernerToken);
        assertThat(chart.status()).isEqualTo(200);
    }

    private String systemToken(ClusterNode node) {
        Http.Reply reply = Http.postForm(node.realmUrl() + "/cerner/system-token",
                Map.of("tenant", "cerner-sandbox", "scope", SYSTEM_SCOPE), JOB, JOB_SECRET);
        assertThat(reply.status()).as(node.name() + " system-token: " + reply.body()).isEqualTo(200);
        return reply.json().path("access_token").asText();
    }

    private long clientCredentials() {
        return simulator.requestLog().entries().stream()
                .filter(r -> r.endpoint() == Endpoint.TOKEN && "client_credentials".equals(r.grantType()) && r.status() == 200).count();
    }

    /** "A /path" or "B /path" for every Keycloak request of the browser, in order (no query strings). */
    private List<String> servedBy(Browser browser) {
        List<String> served = new ArrayList<>();
        for (Browser.Page page : browser.history()) {
            for (ClusterNode node : List.of(a, b)) {
                if (page.url().startsWith(node.url() + "/")) {
                    String path = java.net.URI.create(page.url()).getPath();
                    served.add((node == a ? "A " : "B ") + path);
                }
            }
        }
        return served;
    }

    /** Every cookie Keycloak and the broker set on the launch is Secure and SameSite=None (deletions aside). */
    private void assertSecureCrossSiteCookies(Browser browser) {
        List<String> cookies = new ArrayList<>();
        for (Browser.Page page : browser.history()) {
            if (page.url().startsWith(a.url()) || page.url().startsWith(b.url())) {
                page.headers().allValues("Set-Cookie").stream()
                        .filter(c -> !c.toLowerCase(Locale.ROOT).contains("max-age=0"))
                        .forEach(cookies::add);
            }
        }
        assertThat(cookies).as("cookies set during the launch").isNotEmpty();
        for (String cookie : cookies) {
            // Only the attributes are looked at (and shown on failure): a cookie's value may be a launch handle.
            String name = cookie.substring(0, Math.max(0, cookie.indexOf('=')));
            List<String> attributes = java.util.Arrays.stream(cookie.split(";")).skip(1)
                    .map(a -> a.trim().toLowerCase(Locale.ROOT)).toList();
            assertThat(attributes).as("attributes of cookie " + name).contains("secure", "samesite=none");
        }
        observe("Cookies set during the launch, all Secure; SameSite=None: "
                + cookies.stream().map(c -> c.substring(0, c.indexOf('='))).distinct().toList());
    }

    private void recordOutcome(String what, Browser browser, Browser.Page end) {
        StringBuilder line = new StringBuilder("After the whole-cluster restart, " + what + ": ");
        line.append(browser.history().stream().map(p -> p.status() + " " + describeUrl(p.url())).collect(Collectors.joining(" -> ")));
        if (end.isRedirect()) {
            Map<String, String> query = Browser.query(end.location());
            line.append(" -> app redirect with ").append(query.keySet());
            if (query.containsKey("error")) {
                line.append(" error=").append(query.get("error"));
            }
        } else {
            Document page = end.document();
            line.append("; page title '").append(page.title()).append("'");
            Element heading = page.selectFirst("h1");
            if (heading != null) {
                line.append(", heading '").append(heading.text()).append("'");
            }
            Element smart = page.selectFirst("#smart-launch-error");
            if (smart != null) {
                line.append(", broker error page (data-smart-problem '").append(smart.attr("data-smart-problem")).append("')");
            }
            for (String selector : List.of("#smart-error-message", "#smart-next-step", "#smart-error-reference", "#kc-error-message", ".kc-feedback-text")) {
                Element message = page.selectFirst(selector);
                if (message != null) {
                    line.append(", ").append(selector).append(" '").append(abbreviate(message.text(), 240)).append("'");
                }
            }
        }
        observe(line.toString());
    }

    private String describeUrl(String url) {
        for (ClusterNode node : List.of(a, b)) {
            if (url.startsWith(node.url() + "/")) {
                return (node == a ? "A " : "B ") + java.net.URI.create(url).getPath();
            }
        }
        return url.startsWith(simulator.baseUrl()) ? "Cerner " + java.net.URI.create(url).getPath() : "app";
    }

    /** No answer of 500 or more on the browser's way. */
    private static void assertNoServerError(Browser browser) {
        assertThat(browser.history()).as("answers on the way").allSatisfy(p -> assertThat(p.status()).as(p.url()).isLessThan(500));
    }

    /**
     * The broker's "Launch expired" page, in English, with the time and reference the help desk finds the event by:
     * the reference is that of the {@code eventType} event {@code smart_launch_expired} recorded since {@code since}.
     */
    private void assertLaunchExpiredPage(KeycloakAdmin admin, Instant since, Browser.Page page, String eventType) {
        assertThat(page.status()).as(page.url() + "\n" + page.body()).isEqualTo(400);
        Document document = page.document();
        assertThat(document.select("#smart-launch-error[data-smart-problem=launch_expired]")).as("the broker's launch error page").hasSize(1);
        assertThat(document.title()).as("the document title").isEqualTo("Launch expired");
        assertThat(page.text("#kc-page-title")).isEqualTo("Launch expired");
        assertThat(page.text("#smart-error-message")).isEqualTo("This launch has expired or was already used.");
        assertThat(page.text("#smart-next-step")).startsWith("Close this window and open the app again from the patient's chart in PowerChart.");
        Matcher line = REFERENCE_LINE.matcher(String.valueOf(page.text("#smart-error-reference")));
        assertThat(line.matches()).as("time and reference line '" + page.text("#smart-error-reference") + "'").isTrue();
        String reference = line.group(2);
        JsonNode event = awaitEvent(admin, since, eventType, e -> reference.equals(e.path("details").path("reference").asText()));
        assertThat(event.path("error").asText()).isEqualTo("smart_launch_expired");
        Instant shown = java.time.LocalDateTime.parse(line.group(1), java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"))
                .toInstant(java.time.ZoneOffset.UTC);
        assertThat(Duration.between(shown, Instant.ofEpochMilli(event.path("time").asLong())).abs())
                .as("the page's time against the event's").isLessThanOrEqualTo(Duration.ofSeconds(2));
    }

    /** The first event of {@code type} since {@code since} that {@code match} accepts; waits up to 10 s for it to be stored. */
    private static JsonNode awaitEvent(KeycloakAdmin admin, Instant since, String type, java.util.function.Predicate<JsonNode> match) {
        List<JsonNode> seen = List.of();
        for (int attempt = 0; attempt < 50; attempt++) {
            seen = eventsSince(admin, since, type);
            for (JsonNode event : seen) {
                if (match.test(event)) {
                    return event;
                }
            }
            pause();
        }
        throw new AssertionError("no matching " + type + " event since " + since + "; seen " + seen);
    }

    /** Exactly {@code count} events of {@code type} since {@code since}, once that many are stored (up to 10 s). */
    private static List<JsonNode> awaitEvents(KeycloakAdmin admin, Instant since, String type, int count) {
        List<JsonNode> seen = eventsSince(admin, since, type);
        for (int attempt = 0; attempt < 50 && seen.size() < count; attempt++) {
            pause();
            seen = eventsSince(admin, since, type);
        }
        assertThat(seen).as(type + " events since " + since).hasSize(count);
        return seen;
    }

    private static List<JsonNode> eventsSince(KeycloakAdmin admin, Instant since, String type) {
        return admin.events("smart", type).stream().filter(e -> e.path("time").asLong() >= since.toEpochMilli()).toList();
    }

    /** Between two reads of the event store, which the request that records an event may commit after answering. */
    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sample app on the app URL, pointed at node A (nothing listens on the public hostname); stopped with the rest. */
    private ManagedProcess startSampleApp() throws IOException {
        int port = java.net.URI.create(routing.appUrl()).getPort();
        String java = ProcessHandle.current().info().command().orElse("java");
        sampleApp = ManagedProcess.start("sample-app", List.of(java, "-Xmx256m", "-jar", System.getProperty("sample.app.jar")),
                work, Map.of("SAMPLE_APP_PORT", String.valueOf(port), "KEYCLOAK_URL", a.url()), work.resolve("logs/sample-app.log"));
        sampleApp.awaitHttp200(routing.appUrl() + "/logged-out", START);
        return sampleApp;
    }

    private static void assertNoPatient(OidcClient.TokenResponse tokens) {
        assertThat(tokens.status()).isLessThan(500);
        assertThat(tokens.json().has("patient")).isFalse();
        if (tokens.accessToken() != null) {
            assertThat(tokens.accessTokenClaims().has("patient")).isFalse();
            assertThat(tokens.idTokenClaims().has("patient")).isFalse();
        }
    }

    /** A Prometheus sample's value (curl's outputs follow each other without a newline after the health JSON). */
    private static Double metric(String text, String name) {
        Matcher m = Pattern.compile("(?:^|[\\n}])" + Pattern.quote(name) + "(?:\\{[^}]*\\})? (\\S+)").matcher(text);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    private static String lastLine(Path file) {
        String[] lines = read(file).strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void observe(String line) {
        System.out.println("[ClusterIT] " + line);
        try {
            Files.writeString(observationsFile, "- " + line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = ClusterIT.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
