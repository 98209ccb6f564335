package dev.smartbroker.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.core.type.TypeReference;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An offline twin of Cerner's code sandbox: several tenants, each with its FHIR base {@code /r4/{tenant}},
 * discovery and CapabilityStatement, an authorization server under {@code /tenants/{tenant}/…} (login, consent,
 * token, revocation), a PowerChart-like launcher, Cerner's error shapes and fault injection. One loopback port
 * serves everything; paths keep Cerner's layout (cerner-smart-facts §1).
 *
 * <p>Run standalone with {@code java -jar cerner-simulator.jar --port 8088}, or embed with {@link #start}.
 */
public final class CernerSimulator implements AutoCloseable {

    private final SimulatorConfig config;
    private final State state = new State();
    private final Map<String, TenantSettings> settings = new LinkedHashMap<>();
    private final Faults faults = new Faults();
    private final RequestLog log = new RequestLog();
    private final SigningKeys signingKeys = new SigningKeys();
    private final ClientKeys clientKeys = new ClientKeys(log);
    private final FhirData data;
    private final AuthorizationServer authorizationServer;
    private final FhirServer fhirServer;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final List<IssuedToken> issued = new ArrayList<>();

    private CernerSimulator(SimulatorConfig config) throws IOException {
        this.config = config;
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
        this.data = new FhirData(FhirContext.forR4(), config.tenants(), config.users());
        this.authorizationServer = new AuthorizationServer(this, state);
        this.fhirServer = new FhirServer(this, state);
        this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
        this.executor = Executors.newFixedThreadPool(32, r -> {
            Thread t = new Thread(r, "cerner-simulator");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        this.baseUrl = "http://" + config.host() + ":" + server.getAddress().getPort();
    }

    /** Starts a simulator on {@code config.host():config.port()} (port 0: a free port). */
    public static CernerSimulator start(SimulatorConfig config) {
        try {
            return new CernerSimulator(config);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Cerner simulator", e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        SimulatorConfig config = SimulatorConfig.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = SimulatorConfig.fromJson(Path.of(args[++i]));
                case "--port" -> config = config.withPort(Integer.parseInt(args[++i]));
                case "--host" -> config = config.withHost(args[++i]);
                case "--help", "-h" -> {
                    System.out.println("java -jar cerner-simulator.jar [--host 127.0.0.1] [--port 8088] [--config simulator.json]");
                    return;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        CernerSimulator simulator = start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "stop-simulator"));
        System.out.println("Cerner simulator listening on " + simulator.baseUrl());
        System.out.println("  PowerChart launcher:  " + simulator.baseUrl() + "/launcher");
        for (SimulatorConfig.Tenant tenant : config.tenants()) {
            System.out.println("  FHIR base (iss):      " + simulator.fhirBase(tenant.id()) + "   (" + tenant.name() + ")");
        }
        System.out.println("  Clinician logins:     " + String.join(", ", config.users().stream().map(u -> u.username() + "/" + u.password()).toList()));
        System.out.println("  Admin API:            " + simulator.baseUrl() + "/admin/apps (loopback only)");
        Thread.currentThread().join();
    }

    // ================================================================ public API

    public String baseUrl() {
        return baseUrl;
    }

    public String fhirBase(String tenantId) {
        return baseUrl + "/r4/" + tenantId;
    }

    /** The token endpoint as discovery names it: the hosts/ form, bound to the FHIR host (cerner-smart-facts §1.2). */
    public String tokenEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/hosts/" + fhirHost(tenantId) + "/protocols/oauth2/profiles/smart-v1/token";
    }

    public String revocationEndpoint(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/protocols/oauth2/profiles/smart-v1/token/revoke";
    }

    /** Cerner's id_token issuer form, which differs from the discovery issuer (cerner-smart-facts §2.7). */
    public String oidcIssuer(String tenantId) {
        return baseUrl + "/tenants/" + tenantId + "/oidc/idsps/" + tenantId + "/";
    }

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

    public TenantSettings settings(String tenantId) {
        TenantSettings s = settings.get(tenantId);
        if (s == null) {
            throw new IllegalArgumentException("Unknown tenant " + tenantId);
        }
        return s;
    }

    public synchronized List<IssuedToken> issuedTokens() {
        return List.copyOf(issued);
    }

    /** Ends the clinician's simulated EHR sessions: their online_access refresh tokens stop working. */
    public void endEhrSession(String username) {
        state.sessions.values().removeIf(s -> s.username().equals(username));
    }

    /** A new id_token key; it signs at once and is published after the largest tenant publish delay. */
    public void rotateSigningKey() {
        int delay = settings.values().stream().mapToInt(s -> s.keyPublishDelaySeconds).max().orElse(0);
        signingKeys.rotate(delay);
    }

    /** Creates a launch as the launcher does, for tools that script PowerChart. */
    public String createLaunch(String tenantId, String patientId, String clientId) {
        FhirData.SyntheticPatient patient = FhirData.patient(patientId);
        String id = UUID.randomUUID().toString();
        state.launches.put(id, new State.Launch(id, tenantId, clientId, patientId, patient == null ? null : patient.encounterId(),
                Instant.now().plusSeconds(settings(tenantId).launchLifetimeSeconds)));
        return id;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ================================================================ internals for the handlers

    String fhirHost(String tenantId) {
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

    AuthorizationServer authorizationServer() {
        return authorizationServer;
    }

    synchronized void issued(IssuedToken token) {
        if (issued.size() >= RequestLog.CAPACITY) {
            issued.subList(0, RequestLog.CAPACITY / 10).clear();
        }
        issued.add(token);
    }

    /** Applies a fault of the exchange's endpoint, if one is switched on; true when the request was answered. */
    boolean applyFault(Exchange ex, String tenant) throws IOException {
        Optional<Fault> fault = faults.take(tenant, ex.endpoint, ex.grantType);
        return fault.isPresent() && genericFault(ex, fault.get());
    }

    /** Latency, 5xx, malformed JSON and 404 apply to any endpoint; true when the request was answered. */
    boolean genericFault(Exchange ex, Fault fault) throws IOException {
        switch (fault.type()) {
            case LATENCY -> {
                try {
                    Thread.sleep(fault.latencyMs());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
            }
            case SERVER_ERROR -> {
                ex.json(fault.httpStatus() == 0 ? 503 : fault.httpStatus(), "{\"error\":\"server_error\"}");
                return true;
            }
            case MALFORMED_JSON -> {
                ex.json(200, "{\"access_token\":\"abc\",\"authorization_endpoint\":\"htt");
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
        boolean admin = path.startsWith("/admin");
        try {
            if (admin) {
                admin(ex);
            } else {
                route(ex, path);
            }
        } catch (Exception e) {
            if (!ex.answered()) {
                try {
                    ex.json(500, Map.of("error", "server_error", "error_description", String.valueOf(e.getMessage())));
                } catch (IOException ignored) {
                    // client went away
                }
            }
        } finally {
            if (!ex.answered()) {
                http.close();
            }
            if (!admin) {
                log.add(new LoggedRequest(arrived, ex.method(), path, ex.tenant, ex.endpoint, ex.grantType, ex.clientId, ex.status()));
            }
        }
    }

    private void route(Exchange ex, String path) throws IOException {
        String[] s = path.substring(1).split("/", -1);
        if (path.equals("/") ) {
            ex.redirect(303, "/launcher");
            return;
        }
        if (s[0].equals("launcher")) {
            ex.endpoint = Endpoint.LAUNCHER;
            new LauncherPage(this, state).handle(ex, s.length > 1 ? s[1] : "");
            return;
        }
        if (path.equals("/jwk")) {
            ex.endpoint = Endpoint.JWKS;
            if (applyFault(ex, null)) {
                return;
            }
            ex.addHeader("Cache-Control", "public, max-age=60");
            ex.json(200, signingKeys.jwks());
            return;
        }
        if (path.equals("/styles/smart-v1.json")) {
            ex.json(200, Map.of("color_background", "#edeae3", "color_error", "#9e2d2d", "color_highlight", "#69b5ce",
                    "color_modal_backdrop", "", "color_success", "#498e49", "color_text", "#303030", "dim_border_radius", "6px",
                    "dim_font_size", "13px", "dim_spacing_size", "20px", "font_family_body", "Georgia, Times, 'Times New Roman', serif"));
            return;
        }
        if (s[0].equals("errors") && s.length >= 2) {
            ex.endpoint = Endpoint.ERROR_PAGE;
            String urn = URLDecoder.decode(s[1], StandardCharsets.UTF_8);
            ex.html(200, Html.page("Authorization error", "<h1>Authorization error</h1><p>The authorization server reported</p>"
                    + "<p><code id=\"urn\">" + Html.esc(urn) + "</code></p><p class=\"muted\">" + Html.esc(ex.queryParams().toString()) + "</p>"));
            return;
        }
        if (s[0].equals("r4") && s.length >= 3) {
            String tenant = s[1];
            ex.tenant = tenant;
            if (!state.tenants.containsKey(tenant)) {
                ex.endpoint = Endpoint.FHIR;
                ex.fhir(404, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"not-found\","
                        + "\"diagnostics\":\"Tenant not valid or accessible\"}]}");
                return;
            }
            fhirServer.handle(ex, tenant, String.join("/", java.util.Arrays.copyOfRange(s, 2, s.length)));
            return;
        }
        if (s[0].equals("tenants") && s.length >= 3 && state.tenants.containsKey(s[1])) {
            tenantRoute(ex, s[1], String.join("/", java.util.Arrays.copyOfRange(s, 2, s.length)));
            return;
        }
        ex.json(404, Map.of("error", "not_found"));
    }

    private void tenantRoute(Exchange ex, String tenant, String rest) throws IOException {
        ex.tenant = tenant;
        String authorize = "protocols/oauth2/profiles/smart-v1/personas/provider/authorize";
        String token = "protocols/oauth2/profiles/smart-v1/token";
        String hostToken = "hosts/" + fhirHost(tenant) + "/" + token;
        if (rest.equals(authorize)) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.authorize(ex, tenant);
        } else if (rest.equals(authorize + "/login") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.login(ex, tenant);
        } else if (rest.equals(authorize + "/consent") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            authorizationServer.consent(ex, tenant);
        } else if (rest.equals(hostToken) && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.TOKEN;
            authorizationServer.token(ex, tenant, false);
        } else if (rest.equals(token) && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.TOKEN;
            authorizationServer.token(ex, tenant, true);
        } else if (rest.equals(token + "/revoke") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.REVOKE;
            if (!applyFault(ex, tenant)) {
                authorizationServer.revoke(ex, tenant);
            }
        } else if (rest.equals("oidc/idsps/" + tenant + "/.well-known/openid-configuration")) {
            ex.endpoint = Endpoint.OIDC_CONFIGURATION;
            if (!applyFault(ex, tenant)) {
                ex.json(200, oidcConfiguration(tenant));
            }
        } else if (rest.equals("personas/provider/my-authorizations")) {
            ex.html(200, Html.page("My authorizations", "<h1>My authorizations</h1><p>Applications you allowed are listed"
                    + " here at Cerner; this simulator forgets them when it stops.</p>"));
        } else {
            ex.json(404, Map.of("error", "not_found"));
        }
    }

    private Map<String, Object> oidcConfiguration(String tenant) {
        // cerner-smart-facts §7: the OIDC document names the issuer as authorize and token endpoint; clients ignore them.
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

    // ================================================================ admin API

    private void admin(Exchange ex) throws IOException {
        if (!ex.fromLoopback()) {
            ex.json(403, Map.of("error", "admin API is loopback only"));
            return;
        }
        String[] s = ex.path().substring(1).split("/", -1);
        String what = s.length > 1 ? s[1] : "";
        switch (what) {
            case "apps" -> {
                if (s.length == 2 && ex.method().equals("GET")) {
                    ex.json(200, state.apps.values());
                } else if (s.length == 2 && ex.method().equals("POST")) {
                    AppRegistration app = SimulatorConfig.JSON.readValue(ex.body(), AppRegistration.class);
                    registerApp(app);
                    ex.json(201, app);
                } else if (s.length == 3 && ex.method().equals("DELETE")) {
                    removeApp(URLDecoder.decode(s[2], StandardCharsets.UTF_8));
                    ex.empty(204);
                } else {
                    ex.json(405, Map.of("error", "method not allowed"));
                }
            }
            case "faults" -> {
                if (ex.method().equals("POST")) {
                    faults.add(SimulatorConfig.JSON.readValue(ex.body(), Fault.class));
                    ex.empty(204);
                } else if (ex.method().equals("DELETE")) {
                    faults.clear();
                    ex.empty(204);
                } else {
                    ex.json(200, faults.list());
                }
            }
            case "requests" -> {
                if (ex.method().equals("DELETE")) {
                    log.clear();
                    ex.empty(204);
                } else {
                    ex.json(200, Map.of("requests", log.entries(), "outbound", log.outbound()));
                }
            }
            case "sessions" -> {
                if (s.length == 4 && s[3].equals("end") && ex.method().equals("POST")) {
                    endEhrSession(URLDecoder.decode(s[2], StandardCharsets.UTF_8));
                    ex.empty(204);
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "tenants" -> {
                if (s.length == 4 && s[3].equals("settings") && settings.containsKey(s[2])) {
                    if (ex.method().equals("PUT")) {
                        TenantSettings update = SimulatorConfig.JSON.readValue(ex.body(), TenantSettings.class);
                        settings.get(s[2]).update(update);
                    }
                    ex.json(200, settings.get(s[2]));
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "keys" -> {
                if (s.length == 3 && s[2].equals("rotate") && ex.method().equals("POST")) {
                    rotateSigningKey();
                    ex.json(200, Map.of("kid", signingKeys.current().getKeyID()));
                } else {
                    ex.json(404, Map.of("error", "not_found"));
                }
            }
            case "tokens" -> ex.json(200, issuedTokens());
            case "launches" -> {
                if (ex.method().equals("POST")) {
                    Map<String, String> body = SimulatorConfig.JSON.readValue(ex.body(), new TypeReference<Map<String, String>>() { });
                    String launch = createLaunch(body.get("tenant"), body.get("patient"), body.get("clientId"));
                    ex.json(201, Map.of("launch", launch, "iss", fhirBase(body.get("tenant"))));
                } else {
                    ex.json(405, Map.of("error", "method not allowed"));
                }
            }
            default -> ex.json(404, Map.of("error", "not_found"));
        }
    }

    SimulatorConfig config() {
        return config;
    }
}
