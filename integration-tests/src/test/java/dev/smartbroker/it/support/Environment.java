package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.smartbroker.it.cluster.Postgres;
import dev.smartbroker.simulator.AppRegistration;
import dev.smartbroker.simulator.CernerSimulator;
import dev.smartbroker.simulator.SimulatorConfig;
import dev.smartbroker.simulator.TenantSettings;

/**
 * Everything the integration tests run against, started once per test run:
 * the Cerner simulator (embedded, free loopback port), the real Keycloak distribution with our providers and the
 * demo realm export, and the sample app as its own process.
 */
public final class Environment implements AutoCloseable {

    public static final String SANDBOX_TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    public static final String NORTHWIND_TENANT = "hH7nD2kqV9sLxP4tR6wB8zF1cJ3mQ5yA";
    public static final String SANDBOX_IDP = "cerner-sandbox";
    public static final String NORTHWIND_IDP = "cerner-northwind";
    /** A simulated tenant that no realm export names: the test bed registers it and watches Keycloak discover it. */
    public static final String TESTBED_TENANT = "testbed-discovery";
    /** A simulated tenant that no realm export names, for the set-up tests (connection check, saving defaults). */
    public static final String SETUP_TENANT = "setup-check";
    /** A simulated tenant that no realm export names: ManyTenantsIT launches through it among 1,000 registered tenants. */
    public static final String MANY_TENANTS_TENANT = "many-tenants";
    /** Cerner-side registrations of the broker, as the demo realm's tenants name them. */
    public static final String BROKER_CLIENT_ID = "smart-broker-demo";
    public static final String BROKER_CLIENT_SECRET = "demo-broker-secret";
    public static final String BROKER_JWT_CLIENT_ID = "smart-broker-demo-jwt";
    public static final int JWKS_MAX_AGE_SECONDS = 4;
    /** A simulated EHR of the generic SMART dialect; the generic ITs register its Keycloak tenant through admin REST. */
    public static final String GENERIC_TENANT = SimulatorConfig.GENERIC_TENANT;
    public static final String GENERIC_IDP = "smart-generic";
    /** The broker's registrations at the generic EHR (client_secret_post; backend services with the realm's JWKS). */
    public static final String GENERIC_CLIENT_ID = "smart-broker-generic";
    public static final String GENERIC_CLIENT_SECRET = "generic-broker-secret";
    public static final String GENERIC_SYSTEM_CLIENT_ID = "smart-broker-generic-system";
    public static final String SYSTEM_ACCOUNT_ID = "smart-broker-demo-system";
    public static final List<String> SYSTEM_SCOPES = List.of("system/Patient.read", "system/Observation.read", "system/Encounter.read");
    public static final List<String> PROVIDER_SCOPES = List.of("launch", "openid", "fhirUser", "profile", "online_access",
            "offline_access", "user/Patient.read", "user/Encounter.read", "user/Observation.read", "user/Practitioner.read");

    private final CernerSimulator simulator;
    private final KeycloakServer keycloak;
    private final ManagedProcess sampleApp;
    private final String sampleAppUrl;
    private final KeycloakAdmin admin;
    /** The shared Keycloak's own PostgreSQL server, when {@value #DATABASE_PROPERTY} asks for one; else null. */
    private final Postgres postgres;

    /**
     * The shared Keycloak's database: {@code h2} (the default, a file of its data directory) or {@value #POSTGRES}
     * (a server of its own, set up as docs/production.md does; for the benchmarks: the ITs read H2 directly).
     */
    public static final String DATABASE_PROPERTY = "it.keycloak.database";
    public static final String POSTGRES = "postgres";

    private Environment(CernerSimulator simulator, KeycloakServer keycloak, ManagedProcess sampleApp, String sampleAppUrl, Postgres postgres) {
        this.simulator = simulator;
        this.keycloak = keycloak;
        this.sampleApp = sampleApp;
        this.sampleAppUrl = sampleAppUrl;
        this.admin = new KeycloakAdmin(keycloak.url());
        this.postgres = postgres;
    }

    /**
     * What an environment of a test's own changes from the shared one.
     *
     * @param name                             names its Keycloak twin and log ({@code keycloak-<name>}); "shared" for the shared one
     * @param simulatorIdleConnectionTimeoutMillis the simulator drops keep-alive connections idle this long (0: never)
     * @param keycloakOptions                  further {@code kc.sh start} options
     * @param sampleApp                        start the sample app as a process (its URL is in the realm either way)
     */
    public record Options(String name, long simulatorIdleConnectionTimeoutMillis, List<String> keycloakOptions, boolean sampleApp) {

        static final Options SHARED = new Options("shared", 0, List.of(), true);

        /** An environment of a test's own: a twin of the built distribution, no sample-app process. */
        public static Options own(String name, long simulatorIdleConnectionTimeoutMillis, List<String> keycloakOptions) {
            return new Options(name, simulatorIdleConnectionTimeoutMillis, List.copyOf(keycloakOptions), false);
        }

        boolean shared() {
            return this == SHARED;
        }
    }

    static Environment start() {
        return start(Options.SHARED);
    }

    /**
     * An environment of a test's own beside the shared one, on ports of its own; the caller closes it. The shared
     * environment must have started first: the Keycloak here is a twin of the distribution it built.
     */
    public static Environment start(Options options) {
        Path work = Path.of(System.getProperty("it.work.dir", "target/it-work"));
        // On the base that lets Clocks give back the time it advanced the simulator by.
        SimulatorConfig defaults = SimulatorConfig.defaults().withClock(Clocks.simulatorBase())
                .withIdleConnectionTimeoutMillis(options.simulatorIdleConnectionTimeoutMillis());
        List<SimulatorConfig.Tenant> tenants = new ArrayList<>(defaults.tenants());
        tenants.add(new SimulatorConfig.Tenant(TESTBED_TENANT, "Test bed", new TenantSettings()));
        tenants.add(SimulatorConfig.genericTenant(GENERIC_TENANT));
        tenants.add(new SimulatorConfig.Tenant(SETUP_TENANT, "Set-up check", new TenantSettings()));
        tenants.add(new SimulatorConfig.Tenant(MANY_TENANTS_TENANT, "Many tenants", new TenantSettings()));
        CernerSimulator simulator = CernerSimulator.start(defaults.withTenants(tenants).withPort(Ports.free()));
        KeycloakServer keycloak = null;
        ManagedProcess sampleApp = null;
        Postgres postgres = null;
        try {
            int sampleAppPort = Ports.free();
            String sampleAppUrl = "http://127.0.0.1:" + sampleAppPort;
            Path home = Path.of(System.getProperty("keycloak.home"));
            if (!options.shared()) {
                home = KeycloakServer.twinOfBuilt(home, work.resolve("keycloak-" + options.name()));
            }
            List<String> keycloakOptions = new ArrayList<>(List.of(
                    // A short JWKS cache lifetime lets the key-rotation test wait for the simulator as Cerner would, in seconds.
                    "--spi-realm-restapi-extension--cerner--jwks-max-age-seconds=" + JWKS_MAX_AGE_SECONDS,
                    // Callers waiting for one upstream call hold a worker thread each; the concurrency tests run 50 of
                    // them while the simulator calls back for the realm's JWKS, which needs one more thread.
                    "--http-pool-max-threads=100"));
            if (options.shared()) {
                // As docs/production.md sets it: pooled EHR connections are evicted before the EHR closes them.
                keycloakOptions.add("--spi-connections-http-client--default--max-connection-idle-time-millis=2000");
            }
            keycloakOptions.addAll(options.keycloakOptions());
            KeycloakServer.Database database = null;
            if (options.shared() && POSTGRES.equals(System.getProperty(DATABASE_PROPERTY, "h2"))) {
                postgres = Postgres.startOwn();
                database = KeycloakServer.Database.postgres(postgres.keycloakJdbcUrl(), postgres.keycloakUsername(), postgres.keycloakPassword());
            }
            keycloak = KeycloakServer.start(home, Path.of(System.getProperty("providers.dir")),
                    resource("realms/demo/smart-realm.json"),
                    Map.of("SMART_SIMULATOR_URL", simulator.baseUrl(), "SAMPLE_APP_URL", sampleAppUrl),
                    keycloakOptions,
                    work.resolve(options.shared() ? "keycloak.log" : "keycloak-" + options.name() + ".log"), database);
            registerBroker(simulator, keycloak);

            if (options.sampleApp()) {
                String java = ProcessHandle.current().info().command().orElse("java");
                sampleApp = ManagedProcess.start("sample-app", List.of(java, "-Xmx256m", "-jar", System.getProperty("sample.app.jar")),
                        work, Map.of("SAMPLE_APP_PORT", String.valueOf(sampleAppPort), "KEYCLOAK_URL", keycloak.url()),
                        work.resolve("sample-app.log"));
                sampleApp.awaitHttp200(sampleAppUrl + "/logged-out", Duration.ofMinutes(2));
            }
            return new Environment(simulator, keycloak, sampleApp, sampleAppUrl, postgres);
        } catch (IOException | RuntimeException e) {
            if (sampleApp != null) {
                sampleApp.stop();
            }
            if (keycloak != null) {
                keycloak.close();
            }
            if (postgres != null) {
                postgres.close();
            }
            simulator.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** The broker's registrations at the simulated Cerner: what an integration engineer types into Code Console. */
    private static void registerBroker(CernerSimulator simulator, KeycloakServer keycloak) {
        String realmUrl = keycloak.realmUrl();
        String launchUri = realmUrl + "/smart-launch/sample-app";
        simulator.registerApp(new AppRegistration(BROKER_CLIENT_ID, "SMART broker demo", BROKER_CLIENT_SECRET,
                List.of(realmUrl + "/broker/" + SANDBOX_IDP + "/endpoint"), launchUri, PROVIDER_SCOPES, null, "v1",
                "provider", false));
        simulator.registerApp(new AppRegistration(BROKER_JWT_CLIENT_ID, "SMART broker demo (JWT)", null,
                List.of(realmUrl + "/broker/" + NORTHWIND_IDP + "/endpoint"), launchUri, PROVIDER_SCOPES,
                realmUrl + "/cerner/jwks", "v1", "provider", false));
        simulator.registerApp(new AppRegistration(SYSTEM_ACCOUNT_ID, "SMART broker demo (system account)", null, List.of(), null,
                SYSTEM_SCOPES, realmUrl + "/cerner/jwks", "v1", "system", false));
        simulator.registerApp(new AppRegistration(GENERIC_CLIENT_ID, "SMART broker at a generic EHR", GENERIC_CLIENT_SECRET,
                List.of(realmUrl + "/broker/" + GENERIC_IDP + "/endpoint"), launchUri, PROVIDER_SCOPES, null, "v1", "provider", false));
        simulator.registerApp(new AppRegistration(GENERIC_SYSTEM_CLIENT_ID, "SMART broker backend at a generic EHR", null, List.of(),
                null, SYSTEM_SCOPES, realmUrl + "/smart/jwks", "v1", "system", false));
    }

    static String resource(String name) {
        try (InputStream in = Environment.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public CernerSimulator simulator() {
        return simulator;
    }

    public KeycloakServer keycloak() {
        return keycloak;
    }

    public KeycloakAdmin admin() {
        return admin;
    }

    /** The sample app's process; null in an environment of a test's own started without it. */
    public ManagedProcess sampleApp() {
        return sampleApp;
    }

    public String sampleAppUrl() {
        return sampleAppUrl;
    }

    public String realm() {
        return keycloak.realm();
    }

    public String realmUrl() {
        return keycloak.realmUrl();
    }

    @Override
    public void close() {
        if (sampleApp != null) {
            sampleApp.stop();
        }
        keycloak.close();
        if (postgres != null) {
            postgres.close();
        }
        simulator.close();
    }
}
