package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An offline twin of Cerner's code sandbox: several tenants, each with its FHIR base {@code /r4/{tenant}},
 * discovery and CapabilityStatement, an authorization server under {@code /tenants/{tenant}/…} (login, consent,
 * token, revocation, OIDC configuration), {@code /jwk}, a PowerChart-like launcher, Cerner's error shapes and
 * fault injection, plus a loopback-only admin API under {@code /admin}. One port serves everything; the paths
 * keep Cerner's layout (docs/ehr/cerner.md §1).
 *
 * <p>Run standalone with {@code java -jar cerner-simulator.jar --port 8088}, or embed with {@link #start}.
 * Thread-safe; every instance has its own state.
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
    static final Set<FaultType> GENERIC_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON, FaultType.NOT_FOUND);
    static final String AUTHORIZE_PATH = "protocols/oauth2/profiles/smart-v1/personas/provider/authorize";
    static final String TOKEN_PATH = "protocols/oauth2/profiles/smart-v1/token";

    private final State state = new State();
    private final Map<String, TenantSettings> settings = new LinkedHashMap<>();
    private final Faults faults = new Faults();
    private final RequestLog log = new RequestLog();
    private final SecureRandom random = new SecureRandom();
    private final SigningKeys signingKeys = new SigningKeys();
    private final ClientKeys clientKeys = new ClientKeys(log);
    private final List<IssuedToken> issued = new ArrayList<>();
    private final HttpServer server;
    private final ExecutorService executor;
    private final ScheduledExecutorService janitor;
    private final String baseUrl;
    private final FhirData data;
    private final AuthorizationServer authorizationServer;
    private final FhirServer fhirServer;
    private final LauncherPage launcher;
    private final TestApp testApp;

    private CernerSimulator(SimulatorConfig config) throws IOException {
        for (SimulatorConfig.Tenant tenant : config.tenants()) {
            state.tenants.put(tenant.id(), tenant);
            settings.put(tenant.id(), tenant.settings().copy());
        }
        for (SimulatorConfig.User user : config.users()) {
            state.users.put(user.username(), user);
        }
        for (AppRegistration app : config.apps()) {
            state.apps.put(app.clientId(), app);
        }
        // Bind first: discovery documents and the CapabilityStatement name the real port.
        this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 512);
        this.baseUrl = "http://" + advertisedHost(config.host()) + ":" + server.getAddress().getPort();
        try {
            // HAPI's context is costly: one per simulator, and every static resource is serialised here, once.
            FhirContext fhir = FhirContext.forR4();
            this.data = new FhirData(fhir, config.tenants(), config.users());
            this.authorizationServer = new AuthorizationServer(this, state, random);
            this.fhirServer = new FhirServer(this, state, fhir);
            this.launcher = new LauncherPage(this, state);
            this.testApp = new TestApp(this, random);
        } catch (RuntimeException e) {
            server.stop(0);
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
        server.createContext("/", this::handle);
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

    /** {@code [--host 127.0.0.1] [--port 8088] [--config simulator.json]}: runs until the JVM is stopped. */
    public static void main(String[] args) {
        SimulatorConfig config;
        try {
            config = parseArgs(args);
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.println(USAGE);
            return;
        }
        CernerSimulator simulator = start(config);
        if (!Arrays.asList(args).contains("--no-test-app")) {
            simulator.enableTestApp();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "stop-cerner-simulator"));
        System.out.println(simulator.describe(config));
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final String USAGE = "usage: java -jar cerner-simulator.jar [--host 127.0.0.1] [--port 8088] [--config simulator.json]"
            + " [--no-test-app]";

    /** The config the arguments ask for, or null for --help. */
    static SimulatorConfig parseArgs(String[] args) {
        SimulatorConfig config = SimulatorConfig.defaults();
        // --config first, so that --port and --host override the file wherever they appear.
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config")) {
                config = SimulatorConfig.fromJson(Path.of(value(args, ++i)));
            }
        }
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> i++;
                case "--no-test-app" -> {
                    // read by main: the built-in test app is not part of the config
                }
                case "--port" -> config = config.withPort(Integer.parseInt(value(args, ++i)));
                case "--host" -> config = config.withHost(value(args, ++i));
                case "--help", "-h" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        return config;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** What main prints: where to click and what to configure. */
    String describe(SimulatorConfig config) {
        StringBuilder out = new StringBuilder("Cerner simulator listening on ").append(baseUrl).append('\n');
        out.append("  PowerChart launcher:  ").append(baseUrl).append("/launcher\n");
        out.append("  Authorization JWKS:   ").append(baseUrl).append("/jwk\n");
        for (SimulatorConfig.Tenant tenant : config.tenants()) {
            out.append("  Tenant ").append(tenant.name()).append('\n');
            out.append("    FHIR base (iss):    ").append(fhirBase(tenant.id())).append('\n');
            out.append("    discovery:          ").append(fhirBase(tenant.id())).append("/.well-known/smart-configuration\n");
            out.append("    token endpoint:     ").append(tokenEndpoint(tenant.id())).append('\n');
        }
        out.append("  Clinician logins:     ")
                .append(String.join(", ", config.users().stream().map(u -> u.username() + "/" + u.password()).toList())).append('\n');
        if (state.apps.containsKey(TestApp.CLIENT_ID)) {
            out.append("  Built-in test app:    launch \"").append(TestApp.NAME).append("\" from the launcher (--no-test-app to leave it out)\n");
        }
        out.append("  Registered apps:      ").append(state.apps.size()).append(" (add with POST ").append(baseUrl).append("/admin/apps)\n");
        out.append("  Admin API (loopback): ").append(baseUrl).append("/admin/{apps,faults,requests,tokens,tenants/{id}/settings,keys/rotate}");
        return out.toString();
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
        return baseUrl;
    }

    /** The tenant's FHIR base: the {@code iss} of launches and the {@code aud} of authorize requests. */
    public String fhirBase(String tenantId) {
        return baseUrl + "/r4/" + tenantId;
    }

    /** The token endpoint as discovery names it: the hosts/ form, bound to the FHIR host (docs/ehr/cerner.md §1.2). */
    public String tokenEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/hosts/" + fhirHost() + "/" + TOKEN_PATH;
    }

    /** The token path without {@code hosts/}, from Cerner's older docs; answered only with acceptLegacyTokenPath. */
    public String legacyTokenEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/" + TOKEN_PATH;
    }

    public String authorizationEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/" + AUTHORIZE_PATH;
    }

    public String revocationEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/" + TOKEN_PATH + "/revoke";
    }

    /** Cerner's id_token issuer form, with its trailing slash; it differs from the discovery issuer (docs/ehr/cerner.md §2.7). */
    public String oidcIssuer(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/oidc/idsps/" + tenantId + "/";
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
     * published.
     */
    public void rotateSigningKey() {
        int delay = settings.values().stream().mapToInt(s -> s.keyPublishDelaySeconds).max().orElse(0);
        signingKeys.rotate(delay);
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
     */
    public String createLaunch(String tenantId, String patientId, String clientId) {
        TenantSettings s = settings(tenantId);
        FhirData.SyntheticPatient patient = patientId == null ? null : FhirData.patient(patientId);
        if (patientId != null && patient == null) {
            throw new IllegalArgumentException("Unknown patient " + patientId);
        }
        String id = UUID.randomUUID().toString();
        state.launches.put(id, new State.Launch(id, tenantId, clientId, patientId, patient == null ? null : patient.encounterId(),
                Instant.now().plusSeconds(s.launchLifetimeSeconds)));
        return id;
    }

    @Override
    public void close() {
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

    /** host[:port] of the FHIR base: the {@code hosts/} segment and the bearer realm (§1.2, §3.3). */
    String fhirHost() {
        return baseUrl.substring("http://".length());
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
            state.purge(Instant.now(), skew + 60L);
        } catch (RuntimeException e) {
            LOG.warn("Purging expired simulator state failed", e);
        }
    }

    /**
     * The faults that hit this request: sleeps their total latency, then returns the one other fault, or null.
     * {@code applicable} names the fault types this endpoint can apply (beyond LATENCY).
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
    boolean answerGeneric(Exchange ex, Fault fault) throws IOException {
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

    // ================================================================ routing

    private void handle(HttpExchange http) {
        // Logged with its arrival time: a slow answer must not look like a later request.
        Instant arrived = Instant.now();
        Exchange ex = new Exchange(http);
        String path = ex.path();
        boolean admin = path.equals("/admin") || path.startsWith("/admin/");
        if (!admin) {
            // Recorded just before the answer leaves, so that whoever got the answer finds the entry.
            ex.beforeSend(() -> log.add(new LoggedRequest(arrived, ex.method(), path, ex.tenant, ex.endpoint, ex.grantType,
                    ex.clientId, ex.status())));
        }
        try {
            if (admin) {
                admin(ex);
            } else {
                route(ex, path);
            }
        } catch (Exception e) {
            if (e instanceof IOException && ex.answered()) {
                // The answer had started: the caller gave up (its timeout during a LATENCY fault). One line, no stack trace.
                LOG.info("{} {}: the client closed the connection before the answer was written ({})", ex.method(), path,
                        e.getMessage());
                return;
            }
            LOG.warn("{} {} failed", ex.method(), path, e);
            if (!ex.answered()) {
                try {
                    ex.json(500, Map.of("error", "server_error"));
                } catch (IOException ignored) {
                    // the client went away
                }
            }
        } finally {
            ex.runBeforeSend();
            if (!ex.answered()) {
                http.close();
            }
            if (LOG.isDebugEnabled()) {
                // The path only: queries and bodies carry codes, launches and tokens.
                LOG.debug("{} {} -> {} ({})", ex.method(), path, ex.status(), ex.endpoint);
            }
        }
    }

    private void route(Exchange ex, String path) throws IOException {
        String[] s = path.substring(1).split("/", -1);
        if (ex.method().equals("OPTIONS")) {
            // CORS preflight: browsers' SMART apps call discovery, token and FHIR cross-origin (§2.5, §7).
            ex.addHeader("Access-Control-Allow-Origin", "*");
            ex.addHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            ex.addHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept, Cerner-Correlation-Id");
            ex.addHeader("Access-Control-Max-Age", "600");
            ex.empty(204);
            return;
        }
        if (path.equals("/")) {
            ex.redirect(303, "/launcher");
            return;
        }
        switch (s[0]) {
            case "launcher" -> {
                ex.endpoint = Endpoint.LAUNCHER;
                if (!applyFault(ex, ex.queryParams().get("tenant"))) {
                    launcher.handle(ex, s.length > 1 ? s[1] : "");
                }
            }
            case "jwk" -> {
                ex.endpoint = Endpoint.JWKS;
                if (s.length == 1 && !applyFault(ex, null)) {
                    ex.addHeader("Cache-Control", "public, max-age=60");
                    ex.addHeader("Access-Control-Allow-Origin", "*");
                    ex.json(200, signingKeys.jwks());
                } else if (!ex.answered()) {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "test-app" -> {
                if (state.apps.containsKey(TestApp.CLIENT_ID) && s.length == 2) {
                    testApp.handle(ex, s[1]);
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "styles" -> {
                if (path.equals("/styles/smart-v1.json")) {
                    ex.addHeader("Access-Control-Allow-Origin", "*");
                    ex.json(200, STYLE);
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "errors" -> {
                ex.endpoint = Endpoint.ERROR_PAGE;
                if (!applyFault(ex, ex.queryParams().get("tenant"))) {
                    errorPage(ex, s);
                }
            }
            case "r4" -> {
                ex.endpoint = Endpoint.FHIR;
                ex.tenant = s.length > 1 ? s[1] : null;
                if (s.length < 2 || !state.tenants.containsKey(s[1])) {
                    // Cerner's answer for an unknown tenant (docs/ehr/cerner.md §3.3).
                    FhirServer.outcome(ex, 403, "forbidden", "Tenant not valid or accessible");
                    return;
                }
                if (s.length < 3) {
                    FhirServer.outcome(ex, 404, "not-found", "No resource type given");
                    return;
                }
                ex.tenant = s[1];
                fhirServer.handle(ex, s[1], String.join("/", Arrays.copyOfRange(s, 2, s.length)));
            }
            case "tenants" -> {
                if (s.length >= 3 && state.tenants.containsKey(s[1])) {
                    ex.tenant = s[1];
                    tenantRoute(ex, s[1], String.join("/", Arrays.copyOfRange(s, 2, s.length)));
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            default -> ex.json(404, Map.of("error", "not_found"));
        }
    }

    /** A small SMART style document, so that smart_style_url resolves (§2.5). */
    private static final Map<String, String> STYLE = Map.ofEntries(Map.entry("color_background", "#edeae3"),
            Map.entry("color_error", "#9e2d2d"), Map.entry("color_highlight", "#69b5ce"), Map.entry("color_modal_backdrop", ""),
            Map.entry("color_success", "#498e49"), Map.entry("color_text", "#303030"), Map.entry("dim_border_radius", "6px"),
            Map.entry("dim_font_size", "13px"), Map.entry("dim_spacing_size", "20px"),
            Map.entry("font_family_body", "Georgia, Times, 'Times New Roman', serif"),
            Map.entry("font_family_heading", "\"HelveticaNeue-Light\", Helvetica, Arial, sans-serif"));

    private void tenantRoute(Exchange ex, String tenant, String rest) throws IOException {
        String hostToken = "hosts/" + fhirHost() + "/" + TOKEN_PATH;
        if (rest.equals(AUTHORIZE_PATH)) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.authorize(ex, tenant);
        } else if (rest.equals(AUTHORIZE_PATH + "/login") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.login(ex, tenant);
        } else if (rest.equals(AUTHORIZE_PATH + "/consent") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.consent(ex, tenant);
        } else if (rest.equals(hostToken) || rest.equals(TOKEN_PATH)) {
            ex.endpoint = Endpoint.TOKEN;
            if (!ex.method().equals("POST")) {
                ex.addHeader("Allow", "POST");
                ex.json(405, Map.of("error", "invalid_request"));
                return;
            }
            authorizationServer.token(ex, tenant, rest.equals(TOKEN_PATH));
        } else if (rest.equals(TOKEN_PATH + "/revoke")) {
            ex.endpoint = Endpoint.REVOKE;
            if (!ex.method().equals("POST")) {
                ex.addHeader("Allow", "POST");
                ex.json(405, Map.of("error", "invalid_request"));
                return;
            }
            authorizationServer.revoke(ex, tenant);
        } else if (rest.equals("oidc/idsps/" + tenant + "/.well-known/openid-configuration")) {
            ex.endpoint = Endpoint.OIDC_CONFIGURATION;
            if (!applyFault(ex, tenant)) {
                ex.addHeader("Access-Control-Allow-Origin", "*");
                ex.json(200, oidcConfiguration(tenant));
            }
        } else if (rest.equals("personas/provider/my-authorizations")) {
            ex.html(200, Html.page("My authorizations", "<h1>My authorizations</h1><p>At Cerner, applications you allowed are"
                    + " listed here. This simulator keeps them only while it runs.</p>"));
        } else {
            ex.json(404, Map.of("error", "not_found"));
        }
    }

    private Map<String, Object> oidcConfiguration(String tenant) {
        // docs/ehr/cerner.md §7: the OIDC document names the issuer as authorize and token endpoint; clients must not use them.
        String issuer = oidcIssuer(tenant);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("response_types_supported", List.of("code"));
        doc.put("request_parameter_supported", false);
        doc.put("require_request_uri_registration", false);
        doc.put("request_uri_parameter_supported", true);
        doc.put("claims_parameter_supported", false);
        doc.put("jwks_uri", baseUrl + "/jwk");
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
        doc.put("issuer", issuer);
        doc.put("authorization_endpoint", issuer);
        doc.put("token_endpoint", issuer);
        return doc;
    }

    /** The page error_uri links to: what the URN means (Cerner shows it as "more information", §2.3). */
    private void errorPage(Exchange ex, String[] s) throws IOException {
        if (s.length != 4 || !s[2].equals("instances")) {
            ex.html(404, Html.page("Not found", "<h1>Not found</h1>"));
            return;
        }
        String urn = URLDecoder.decode(s[1], StandardCharsets.UTF_8);
        Map<String, String> q = ex.queryParams();
        ex.tenant = q.get("tenant");
        StringBuilder html = new StringBuilder("<h1>Authorization error</h1>")
                .append("<p id=\"explanation\">").append(Html.esc(CernerErrors.explain(urn))).append("</p>")
                .append("<table><tr><th>Error</th><td><code id=\"urn\">").append(Html.esc(urn)).append("</code></td></tr>")
                .append("<tr><th>Instance</th><td><code id=\"instance\">").append(Html.esc(s[3])).append("</code></td></tr>");
        for (String key : List.of("client", "tenant", "persona")) {
            if (q.get(key) != null) {
                html.append("<tr><th>").append(key).append("</th><td><code id=\"").append(key).append("\">")
                        .append(Html.esc(q.get(key))).append("</code></td></tr>");
            }
        }
        html.append("</table>");
        ex.html(200, Html.page("Authorization error", html.toString()));
    }

    // ================================================================ admin API

    private void admin(Exchange ex) throws IOException {
        if (!ex.fromLoopback()) {
            ex.json(403, Map.of("error", "the admin API answers loopback clients only"));
            return;
        }
        String[] s = ex.path().substring(1).split("/", -1);
        String what = s.length > 1 ? s[1] : "";
        String method = ex.method();
        try {
            switch (what) {
                case "apps" -> adminApps(ex, s, method);
                case "faults" -> {
                    if (method.equals("POST")) {
                        Fault fault = SimulatorConfig.JSON.readValue(ex.body(), Fault.class);
                        faults.add(fault);
                        ex.json(201, fault);
                    } else if (method.equals("DELETE")) {
                        faults.clear();
                        ex.empty(204);
                    } else if (method.equals("GET")) {
                        ex.json(200, faults.list());
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                case "requests" -> {
                    if (method.equals("DELETE")) {
                        log.clear();
                        ex.empty(204);
                    } else if (method.equals("GET")) {
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("requests", log.entries());
                        body.put("outbound", log.outbound());
                        ex.json(200, body);
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                case "sessions" -> {
                    if (s.length == 4 && s[3].equals("end") && method.equals("POST")) {
                        endEhrSession(URLDecoder.decode(s[2], StandardCharsets.UTF_8));
                        ex.empty(204);
                    } else {
                        ex.json(404, Map.of("error", "not_found"));
                    }
                }
                case "tenants" -> adminTenants(ex, s, method);
                case "keys" -> {
                    if (s.length == 3 && s[2].equals("rotate") && method.equals("POST")) {
                        rotateSigningKey();
                        ex.json(200, Map.of("kid", currentSigningKid()));
                    } else {
                        ex.json(404, Map.of("error", "not_found"));
                    }
                }
                case "tokens" -> {
                    if (method.equals("GET")) {
                        ex.json(200, issuedTokens());
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                case "launches" -> {
                    if (method.equals("POST")) {
                        Map<String, String> body = SimulatorConfig.JSON.readValue(ex.body(), new TypeReference<Map<String, String>>() { });
                        String tenant = body.get("tenant");
                        String launch = createLaunch(tenant, body.get("patient"), body.get("clientId"));
                        ex.json(201, Map.of("launch", launch, "iss", fhirBase(tenant)));
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                default -> ex.json(404, Map.of("error", "not_found"));
            }
        } catch (JsonProcessingException e) {
            ex.json(400, Map.of("error", "invalid_request", "error_description", String.valueOf(e.getOriginalMessage())));
        } catch (IllegalArgumentException e) {
            ex.json(400, Map.of("error", "invalid_request", "error_description", String.valueOf(e.getMessage())));
        }
    }

    private void adminApps(Exchange ex, String[] s, String method) throws IOException {
        if (s.length == 2 && method.equals("GET")) {
            ex.json(200, apps());
        } else if (s.length == 2 && method.equals("POST")) {
            AppRegistration app = SimulatorConfig.JSON.readValue(ex.body(), AppRegistration.class);
            registerApp(app);
            ex.json(201, app);
        } else if (s.length == 3 && method.equals("DELETE")) {
            String clientId = URLDecoder.decode(s[2], StandardCharsets.UTF_8);
            if (state.apps.remove(clientId) == null) {
                ex.json(404, Map.of("error", "not_found"));
            } else {
                ex.empty(204);
            }
        } else {
            methodNotAllowed(ex);
        }
    }

    private void adminTenants(Exchange ex, String[] s, String method) throws IOException {
        if (s.length == 2 && method.equals("GET")) {
            List<Map<String, Object>> tenants = new ArrayList<>();
            for (SimulatorConfig.Tenant t : state.tenants.values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", t.id());
                m.put("name", t.name());
                m.put("fhirBase", fhirBase(t.id()));
                m.put("tokenEndpoint", tokenEndpoint(t.id()));
                m.put("settings", settings.get(t.id()));
                tenants.add(m);
            }
            ex.json(200, tenants);
        } else if (s.length == 4 && s[3].equals("settings") && settings.containsKey(s[2])) {
            TenantSettings live = settings.get(s[2]);
            if (method.equals("PUT")) {
                // A partial document changes only the fields it names.
                TenantSettings changed = SimulatorConfig.JSON.readerForUpdating(live.copy()).readValue(ex.body());
                live.update(changed);
            } else if (!method.equals("GET")) {
                methodNotAllowed(ex);
                return;
            }
            ex.json(200, live);
        } else {
            ex.json(404, Map.of("error", "not_found"));
        }
    }

    private static void methodNotAllowed(Exchange ex) throws IOException {
        ex.json(405, Map.of("error", "method_not_allowed"));
    }
}
