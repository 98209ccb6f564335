package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request's way in: logs it (admin calls excepted), sends it to the handler its path names, and turns a
 * handler's failure into a 500. Cerner tenants keep Cerner's layout (§1); generic tenants live under
 * {@code /smart/{tenant}/} (see {@link Urls}).
 */
final class Router {

    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    /** A small SMART style document, so that smart_style_url resolves (§2.5). */
    private static final Map<String, String> STYLE = Map.ofEntries(Map.entry("color_background", "#edeae3"),
            Map.entry("color_error", "#9e2d2d"), Map.entry("color_highlight", "#69b5ce"), Map.entry("color_modal_backdrop", ""),
            Map.entry("color_success", "#498e49"), Map.entry("color_text", "#303030"), Map.entry("dim_border_radius", "6px"),
            Map.entry("dim_font_size", "13px"), Map.entry("dim_spacing_size", "20px"),
            Map.entry("font_family_body", "Georgia, Times, 'Times New Roman', serif"),
            Map.entry("font_family_heading", "\"HelveticaNeue-Light\", Helvetica, Arial, sans-serif"));

    /** The handlers requests are routed to. */
    record Handlers(AuthorizeEndpoint authorize, TokenEndpoint token, FhirServer fhir, Discovery discovery, LauncherPage launcher,
                    TestApp testApp, AdminApi admin) {
    }

    private final CernerSimulator sim;
    private final State state;
    private final IdleConnectionForwarder forwarder;
    private final Handlers h;

    /** @param forwarder the idle-connection forwarder in front of the server, or null */
    Router(CernerSimulator sim, State state, IdleConnectionForwarder forwarder, Handlers handlers) {
        this.sim = sim;
        this.state = state;
        this.forwarder = forwarder;
        this.h = handlers;
    }

    void handle(HttpExchange http) {
        // Logged with its arrival time: a slow answer must not look like a later request.
        Instant arrived = sim.now();
        // Behind the forwarder every connection comes from loopback: the client is the one the forwarder accepted.
        InetAddress client = forwarder == null ? http.getRemoteAddress().getAddress() : forwarder.clientOf(http.getRemoteAddress().getPort());
        Exchange ex = new Exchange(http, client);
        String path = ex.path();
        boolean admin = path.equals("/admin") || path.startsWith("/admin/");
        if (!admin) {
            // Recorded just before the answer leaves, so that whoever got the answer finds the entry.
            ex.beforeSend(() -> sim.requestLog().add(new LoggedRequest(arrived, ex.method(), path, ex.tenant, ex.endpoint, ex.grantType,
                    ex.clientId, ex.status())));
        }
        try {
            if (admin) {
                h.admin().handle(ex);
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
                if (!sim.injector().applyFault(ex, ex.queryParams().get("tenant"))) {
                    h.launcher().handle(ex, s.length > 1 ? s[1] : "");
                }
            }
            case "jwk" -> {
                ex.endpoint = Endpoint.JWKS;
                if (s.length == 1 && !sim.injector().applyFault(ex, null)) {
                    ex.addHeader("Cache-Control", "public, max-age=60");
                    ex.addHeader("Access-Control-Allow-Origin", "*");
                    ex.json(200, sim.signingKeys().jwks());
                } else if (!ex.answered()) {
                    notFound(ex);
                }
            }
            case "test-app" -> {
                if (state.apps.containsKey(TestApp.CLIENT_ID) && s.length == 2) {
                    h.testApp().handle(ex, s[1]);
                } else {
                    notFound(ex);
                }
            }
            case "styles" -> {
                if (path.equals("/styles/smart-v1.json")) {
                    ex.addHeader("Access-Control-Allow-Origin", "*");
                    ex.json(200, STYLE);
                } else {
                    notFound(ex);
                }
            }
            case "errors" -> {
                ex.endpoint = Endpoint.ERROR_PAGE;
                if (!sim.injector().applyFault(ex, ex.queryParams().get("tenant"))) {
                    CernerErrors.page(ex, s);
                }
            }
            case "r4" -> {
                ex.endpoint = Endpoint.FHIR;
                ex.tenant = s.length > 1 ? s[1] : null;
                if (s.length < 2 || !state.tenants.containsKey(s[1]) || sim.urls().generic(s[1])) {
                    // Cerner's answer for an unknown tenant (§3.3).
                    FhirServer.outcome(ex, 403, "forbidden", "Tenant not valid or accessible");
                    return;
                }
                if (s.length < 3) {
                    FhirServer.outcome(ex, 404, "not-found", "No resource type given");
                    return;
                }
                h.fhir().handle(ex, s[1], rest(s, 2));
            }
            case Urls.GENERIC_ROOT -> {
                if (s.length >= 3 && sim.urls().generic(s[1])) {
                    ex.tenant = s[1];
                    genericRoute(ex, s[1], s[2], rest(s, 3));
                } else {
                    notFound(ex);
                }
            }
            case "tenants" -> {
                if (s.length >= 3 && state.tenants.containsKey(s[1]) && !sim.urls().generic(s[1])) {
                    ex.tenant = s[1];
                    tenantRoute(ex, s[1], rest(s, 2));
                } else {
                    notFound(ex);
                }
            }
            default -> notFound(ex);
        }
    }

    /** The Cerner authorization server's paths under {@code /tenants/{tenant}/} (§1.2). */
    private void tenantRoute(Exchange ex, String tenant, String rest) throws IOException {
        String hostToken = "hosts/" + sim.urls().fhirHost() + "/" + Urls.TOKEN_PATH;
        if (rest.equals(Urls.AUTHORIZE_PATH)) {
            ex.endpoint = Endpoint.AUTHORIZE;
            h.authorize().authorize(ex, tenant);
        } else if (rest.equals(Urls.AUTHORIZE_PATH + "/login") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            h.authorize().login(ex, tenant);
        } else if (rest.equals(Urls.AUTHORIZE_PATH + "/consent") && ex.method().equals("POST")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            h.authorize().consent(ex, tenant);
        } else if (rest.equals(hostToken) || rest.equals(Urls.TOKEN_PATH)) {
            ex.endpoint = Endpoint.TOKEN;
            if (postOnly(ex)) {
                h.token().token(ex, tenant, rest.equals(Urls.TOKEN_PATH));
            }
        } else if (rest.equals(Urls.TOKEN_PATH + "/revoke")) {
            ex.endpoint = Endpoint.REVOKE;
            if (postOnly(ex)) {
                h.token().revoke(ex, tenant);
            }
        } else if (rest.equals("oidc/idsps/" + tenant + "/.well-known/openid-configuration")) {
            ex.endpoint = Endpoint.OIDC_CONFIGURATION;
            if (!sim.injector().applyFault(ex, tenant)) {
                ex.addHeader("Access-Control-Allow-Origin", "*");
                ex.json(200, h.discovery().oidcConfiguration(tenant));
            }
        } else if (rest.equals("personas/provider/my-authorizations")) {
            ex.html(200, Html.page("My authorizations", "<h1>My authorizations</h1><p>At Cerner, applications you allowed are"
                    + " listed here. This simulator keeps them only while it runs.</p>"));
        } else {
            notFound(ex);
        }
    }

    /**
     * A generic tenant's paths under {@code /smart/{tenant}/}: {@code fhir/…} (FHIR base, discovery, metadata, OIDC
     * configuration) and {@code auth/authorize}, {@code auth/token}, {@code auth/jwks} (docs/ehr/smart-app-launch.md).
     */
    private void genericRoute(Exchange ex, String tenant, String part, String rest) throws IOException {
        if (part.equals("fhir")) {
            ex.endpoint = Endpoint.FHIR;
            if (rest.isEmpty()) {
                FhirServer.outcome(ex, 404, "not-found", "No resource type given");
            } else {
                h.fhir().handle(ex, tenant, rest);
            }
            return;
        }
        if (!part.equals("auth")) {
            notFound(ex);
            return;
        }
        if (rest.equals("authorize") || rest.equals("authorize/login") || rest.equals("authorize/consent")) {
            ex.endpoint = Endpoint.AUTHORIZE;
            if (sim.backendOnly(tenant)) {
                ex.html(404, Html.page("Not found", "<h1>Not found</h1><p>This server offers SMART Backend Services only.</p>"));
            } else if (rest.equals("authorize")) {
                h.authorize().authorize(ex, tenant);
            } else if (!ex.method().equals("POST")) {
                notFound(ex);
            } else if (rest.equals("authorize/login")) {
                h.authorize().login(ex, tenant);
            } else {
                h.authorize().consent(ex, tenant);
            }
        } else if (rest.equals("token")) {
            ex.endpoint = Endpoint.TOKEN;
            if (postOnly(ex)) {
                h.token().token(ex, tenant, false);
            }
        } else if (rest.equals("jwks")) {
            ex.endpoint = Endpoint.JWKS;
            if (!sim.injector().applyFault(ex, tenant)) {
                ex.addHeader("Cache-Control", "public, max-age=60");
                ex.addHeader("Access-Control-Allow-Origin", "*");
                ex.json(200, sim.signingKeys().tenantJwks(tenant));
            }
        } else {
            notFound(ex);
        }
    }

    /** True for a POST; otherwise answers 405 with {@code Allow: POST}. */
    private static boolean postOnly(Exchange ex) throws IOException {
        if (ex.method().equals("POST")) {
            return true;
        }
        ex.addHeader("Allow", "POST");
        ex.json(405, Map.of("error", "invalid_request"));
        return false;
    }

    private static String rest(String[] segments, int from) {
        return String.join("/", Arrays.copyOfRange(segments, from, segments.length));
    }

    private static void notFound(Exchange ex) throws IOException {
        ex.json(404, Map.of("error", "not_found"));
    }
}
