package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An offline twin of Cerner's code sandbox: several tenants, each with its FHIR base {@code /r4/{tenant}},
 * discovery and CapabilityStatement, an authorization server under {@code /tenants/{tenant}/…} (login, consent,
 * token, revocation, OIDC configuration), {@code /jwk}, a PowerChart-like launcher, Cerner's error shapes and
 * fault injection, plus a loopback-only admin API under {@code /admin}. One port serves everything; the paths
 * keep Cerner's layout (docs/ehr/cerner.md §1). Tenants of the generic dialect ({@link SimulatorConfig#genericTenant})
 * are a plain SMART App Launch 2.x server under {@code /smart/{tenant}/} instead (docs/ehr/smart-app-launch.md).
 *
 * <p>Run standalone with {@code java -jar cerner-simulator.jar --port 8088}, or embed with {@link #start}.
 * Thread-safe; every instance has its own state. This class is the public facade: the work is done by the
 * package-private endpoint classes it wires together.
 */
public final class CernerSimulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CernerSimulator.class);
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        // The JDK server writes headers and body in two segments; without TCP_NODELAY, Nagle holds the body until the
        // client's delayed ACK (about 40 ms), capping each connection at some 25 responses a second. The JDK reads this
        // property once, when its first HttpServer starts in the JVM: an explicit setting is left alone.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }
    private static final int THREADS = 32;

    private final State state = new State();
    private final Map<String, TenantSettings> settings = new LinkedHashMap<>();
    private final Faults faults = new Faults();
    private final FaultInjector injector = new FaultInjector(faults);
    private final RequestLog log = new RequestLog();
    private final SecureRandom random = new SecureRandom();
    private final SimulatorClock clock;
    private final SigningKeys signingKeys;
    private final ClientKeys clientKeys;
    private final List<IssuedToken> issued = new ArrayList<>();
    private final HttpServer server;
    /** In front of the server when idle connections are to be dropped; null otherwise. */
    private final IdleConnectionForwarder forwarder;
    private final ExecutorService executor;
    private final ScheduledExecutorService janitor;
    private final Urls urls;
    private final FhirData data;
    private final TestApp testApp;

    private CernerSimulator(SimulatorConfig config) throws IOException {
        this.clock = new SimulatorClock(config.clock());
        this.signingKeys = new SigningKeys(clock);
        this.clientKeys = new ClientKeys(log, clock);
        for (SimulatorConfig.Tenant tenant : config.tenants()) {
            state.tenants.put(tenant.id(), tenant);
            settings.put(tenant.id(), tenant.settings().copy());
            if (tenant.isGeneric()) {
                signingKeys.addTenantKey(tenant.id());
            }
        }
        for (SimulatorConfig.User user : config.users()) {
            state.users.put(user.username(), user);
        }
        for (AppRegistration app : config.apps()) {
            state.apps.put(app.clientId(), app);
        }
        // Bind first: discovery documents and the CapabilityStatement name the real port.
        if (config.idleConnectionTimeoutMillis() > 0) {
            // The server on a loopback port of its own, behind a forwarder that drops idle client connections.
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
            try {
                this.forwarder = new IdleConnectionForwarder(config.host(), config.port(), server.getAddress(),
                        config.idleConnectionTimeoutMillis());
            } catch (IOException | RuntimeException e) {
                server.stop(0);
                throw e;
            }
        } else {
            this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 512);
            this.forwarder = null;
        }
        int port = forwarder == null ? server.getAddress().getPort() : forwarder.port();
        this.urls = new Urls("http://" + advertisedHost(config.host()) + ":" + port, state.tenants);
        Router router;
        try {
            // HAPI's context is costly: one per simulator, and every static resource is serialised here, once.
            FhirContext fhir = FhirContext.forR4();
            this.data = new FhirData(fhir, config.tenants(), config.users());
            this.testApp = new TestApp(this, random);
            OAuthReplies replies = new OAuthReplies(urls);
            TokenIssuer issuer = new TokenIssuer(this, state, random);
            ClientAuthentication clients = new ClientAuthentication(this, state, replies);
            Discovery discovery = new Discovery(this, urls, fhir, state.tenants.keySet());
            router = new Router(this, state, forwarder, new Router.Handlers(new AuthorizeEndpoint(this, state, replies, issuer),
                    new TokenEndpoint(this, state, replies, clients, issuer), new FhirServer(this, state, discovery), discovery,
                    new LauncherPage(this, state), testApp, new AdminApi(this, state)));
        } catch (RuntimeException e) {
            server.stop(0);
            if (forwarder != null) {
                forwarder.close();
            }
            throw e;
        }
        this.executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "cerner-simulator");
            t.setDaemon(true);
            return t;
        });
        this.janitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cerner-simulator-janitor");
            t.setDaemon(true);
            return t;
        });
        janitor.scheduleWithFixedDelay(this::purge, 30, 30, TimeUnit.SECONDS);
        server.setExecutor(executor);
        server.createContext("/", router::handle);
        server.start();
    }

    /** The host the URLs name: a wildcard bind address is not reachable as such, so URLs then name 127.0.0.1. */
    static String advertisedHost(String bindHost) {
        if (bindHost.equals("0.0.0.0") || bindHost.equals("::") || bindHost.equals("[::]")) {
            return "127.0.0.1";
        }
        return bindHost.contains(":") && !bindHost.startsWith("[") ? "[" + bindHost + "]" : bindHost;
    }

    /** Starts a simulator on {@code config.host():config.port()} (port 0: a free port). */
    public static CernerSimulator start(SimulatorConfig config) {
        try {
            return new CernerSimulator(config);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Cerner simulator on " + config.host() + ":" + config.port(), e);
        }
    }

    /** {@code [--host 127.0.0.1] [--port 8088] [--config simulator.json] [--no-test-app]}: runs until the JVM is stopped. */
    public static void main(String[] args) {
        Cli.run(args);
    }

    /** The config the arguments ask for, or null for --help. */
    static SimulatorConfig parseArgs(String[] args) {
        return Cli.parseArgs(args);
    }

    /** What main prints: where to click and what to configure. */
    String describe(SimulatorConfig config) {
        return Cli.describe(this, config);
    }

    // ================================================================ public API

    /**
     * Registers the built-in SMART test app ({@code cerner-simulator-test-app}, Launch URI {@code /test-app/launch}) so
     * that a person can click through launcher, login and consent without any app of their own. Standalone runs do
     * this unless started with {@code --no-test-app}; embedded simulators have no app until one is registered.
     *
     * @return the test app's Launch URI
     */
    public String enableTestApp() {
        registerApp(testApp.registration());
        return testApp.launchUrl();
    }

    /** The configured tenant ids, in configuration order. */
    public List<String> tenantIds() {
        return List.copyOf(state.tenants.keySet());
    }

    /** {@code http://host:port}, no trailing slash. */
    public String baseUrl() {
        return urls.baseUrl();
    }

    /**
     * The tenant's FHIR base: the {@code iss} of launches and the {@code aud} of authorize requests
     * ({@code {base}/r4/{t}}; generic tenants {@code {base}/smart/{t}/fhir}).
     */
    public String fhirBase(String tenantId) {
        return urls.fhirBase(tenantId);
    }

    /**
     * The token endpoint as discovery names it: the hosts/ form, bound to the FHIR host (docs/ehr/cerner.md §1.2);
     * generic tenants {@code {base}/smart/{t}/auth/token}.
     */
    public String tokenEndpoint(String tenantId) {
        return urls.tokenEndpoint(tenantId);
    }

    /** The token path without {@code hosts/}, from Cerner's older docs; answered only with acceptLegacyTokenPath. Null for generic tenants. */
    public String legacyTokenEndpoint(String tenantId) {
        return urls.legacyTokenEndpoint(tenantId);
    }

    public String authorizationEndpoint(String tenantId) {
        return urls.authorizationEndpoint(tenantId);
    }

    /** Cerner's RFC 7009 revocation endpoint; null for generic tenants, whose discovery names none. */
    public String revocationEndpoint(String tenantId) {
        return urls.revocationEndpoint(tenantId);
    }

    /**
     * The id_token {@code iss}: Cerner's form, with its trailing slash, differs from the discovery issuer
     * (docs/ehr/cerner.md §2.7); a generic tenant's is its FHIR base, the discovery {@code issuer}.
     */
    public String oidcIssuer(String tenantId) {
        return urls.oidcIssuer(tenantId);
    }

    /** The JWKS that verifies the tenant's id_tokens: {@code {base}/jwk} (shared by Cerner tenants), or {@code {base}/smart/{t}/auth/jwks}. */
    public String jwksUri(String tenantId) {
        return urls.jwksUri(tenantId);
    }

    /** Adds an app, or replaces the one with the same client id. */
    public void registerApp(AppRegistration app) {
        state.apps.put(app.clientId(), app);
    }

    public void removeApp(String clientId) {
        state.apps.remove(clientId);
    }

    public List<AppRegistration> apps() {
        return List.copyOf(state.apps.values());
    }

    public Faults faults() {
        return faults;
    }

    public RequestLog requestLog() {
        return log;
    }

    /** The tenant's live settings: changes apply to the next request. */
    public TenantSettings settings(String tenantId) {
        TenantSettings s = settings.get(tenantId);
        if (s == null) {
            throw new IllegalArgumentException("Unknown tenant " + tenantId);
        }
        return s;
    }

    /** Every access and refresh token issued, oldest first (the oldest are dropped beyond 200,000). */
    public synchronized List<IssuedToken> issuedTokens() {
        return List.copyOf(issued);
    }

    /** How many successful refreshes this refresh token has made (0 for an unknown token). */
    public int refreshCount(String refreshToken) {
        State.RefreshToken rt = state.refreshTokens.get(refreshToken);
        return rt == null ? 0 : rt.refreshes.get();
    }

    /** Ends the clinician's simulated EHR sessions: their online_access refresh tokens stop working (§2.8). */
    public void endEhrSession(String username) {
        state.sessions.values().removeIf(s -> s.username().equals(username));
    }

    /**
     * A new id_token key (kid {@code <timestamp>.rsa}); it signs at once, and appears at {@code /jwk} after the largest
     * keyPublishDelaySeconds of the tenants ({@code /jwk} is shared by all tenants, as at Cerner). Older keys stay
     * published. Generic tenants keep their one key.
     */
    public void rotateSigningKey() {
        int delay = settings.values().stream().mapToInt(s -> s.keyPublishDelaySeconds).max().orElse(0);
        signingKeys.rotate(delay);
    }

    /**
     * The simulator's clock: every lifetime, expiry and timestamp the simulator handles is read from it. Advance it
     * ({@code clock().advance(Duration.ofMinutes(10))}) instead of sleeping until something expires.
     */
    public SimulatorClock clock() {
        return clock;
    }

    /** The kid that signs id_tokens now. */
    public String currentSigningKid() {
        return signingKeys.current().getKeyID();
    }

    /**
     * Creates a launch as the launcher does, for tools that script PowerChart.
     *
     * @param patientId a synthetic patient, or null for a launch without a patient (organizer level)
     * @return the opaque launch value
     * @throws IllegalArgumentException for an unknown tenant or patient, or a backend-services-only tenant
     */
    public String createLaunch(String tenantId, String patientId, String clientId) {
        TenantSettings s = settings(tenantId);
        if (backendOnly(tenantId)) {
            throw new IllegalArgumentException("Tenant " + tenantId + " serves backend services only: nothing to launch");
        }
        FhirData.SyntheticPatient patient = patientId == null ? null : FhirData.patient(patientId);
        if (patientId != null && patient == null) {
            throw new IllegalArgumentException("Unknown patient " + patientId);
        }
        String id = UUID.randomUUID().toString();
        state.launches.put(id, new State.Launch(id, tenantId, clientId, patientId, patient == null ? null : patient.encounterId(),
                now().plusSeconds(s.launchLifetimeSeconds)));
        return id;
    }

    /**
     * How many client connections the simulator closed for being idle longer than
     * {@link SimulatorConfig#withIdleConnectionTimeoutMillis}; always 0 when that is off.
     */
    public long idleConnectionsClosed() {
        return forwarder == null ? 0 : forwarder.idleClosed();
    }

    @Override
    public void close() {
        if (forwarder != null) {
            forwarder.close();
        }
        server.stop(0);
        janitor.shutdownNow();
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ================================================================ internals for the handlers

    Urls urls() {
        return urls;
    }

    /** Whether the tenant is a generic backend-services-only server (no authorize endpoint, no launches). */
    boolean backendOnly(String tenantId) {
        return urls.generic(tenantId) && settings(tenantId).backendServicesOnly;
    }

    /** Now, as the simulator's clock reads. */
    Instant now() {
        return clock.instant();
    }

    FaultInjector injector() {
        return injector;
    }

    FhirData data() {
        return data;
    }

    SigningKeys signingKeys() {
        return signingKeys;
    }

    ClientKeys clientKeys() {
        return clientKeys;
    }

    synchronized void issued(IssuedToken token) {
        if (issued.size() >= RequestLog.CAPACITY) {
            issued.subList(0, RequestLog.CAPACITY / 10).clear();
        }
        issued.add(token);
    }

    private void purge() {
        try {
            int skew = settings.values().stream().mapToInt(s -> s.clockSkewSeconds).max().orElse(60);
            state.purge(now(), skew + 60L);
        } catch (RuntimeException e) {
            LOG.warn("Purging expired simulator state failed", e);
        }
    }
}
