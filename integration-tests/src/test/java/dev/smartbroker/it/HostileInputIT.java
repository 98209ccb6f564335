package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an attacker's URL or a broken upstream can do to the broker: each hostile request ends on a page (browsers) or
 * OAuth2 JSON (API callers) with an event, creates no session and no user, never answers 500, sends nothing to a host
 * that is not configured, and renders nothing of its input as markup. Caller text reaches events and the log bounded
 * and without control characters.
 */
@ExtendWith(SmartBrokerEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {

    private static final String LINK = "<a href=\"https://evil.example/phish\">Click here to sign in again</a>";
    private static final String IMG = "<img src=x onerror=alert(1)><b>bold</b>";
    private static final String LONG = "x".repeat(5_000);
    /** NUL is refused by Keycloak's HTTP layer before any of our code runs when it is in a URL; it is tried in a form. */
    private static final String CONTROL = "a\tb\r\nFORGED LOG LINE";

    private Environment env;
    private HttpServer attacker;
    private final AtomicInteger attackerRequests = new AtomicInteger();

    @BeforeAll
    void start(Environment env) throws IOException {
        this.env = env;
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", exchange -> {
            attackerRequests.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        attacker.start();
    }

    @AfterAll
    void stop() {
        attacker.stop(0);
    }

    private String attackerIss() {
        return "http://127.0.0.1:" + attacker.getAddress().getPort() + "/r4/" + Environment.SANDBOX_TENANT;
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One hostile browser request: how to make it, the page and event it must end on, and the payload it carries. */
    record Case(String name, Function<HostileInputIT, Browser.Page> request, int status, String eventType, String error,
                String payload) {

        @Override
        public String toString() {
            return name;
        }
    }

    Stream<Arguments> browserCases() {
        String launchUri = "/smart-launch/";
        return Stream.of(
                new Case("an app id that is a link", t -> t.get(launchUri + q(LINK) + "?iss=" + q(t.sandboxIss()) + "&launch=l"),
                        404, "LOGIN_ERROR", "smart_unknown_app", LINK),
                new Case("an app id with an image and bold", t -> t.get(launchUri + q(IMG) + "?iss=" + q(t.sandboxIss()) + "&launch=l"),
                        404, "LOGIN_ERROR", "smart_unknown_app", IMG),
                new Case("a 5,000-character app id", t -> t.get(launchUri + LONG + "?iss=" + q(t.sandboxIss()) + "&launch=l"),
                        404, "LOGIN_ERROR", "smart_unknown_app", null),
                new Case("an iss with control characters", t -> t.get(launchUri + "sample-app?iss=" + q(CONTROL) + "&launch=l"),
                        403, "LOGIN_ERROR", "smart_unknown_iss", CONTROL),
                new Case("an attacker's iss", t -> t.get(launchUri + "sample-app?iss=" + q(t.attackerIss()) + "&launch=l"),
                        403, "LOGIN_ERROR", "smart_unknown_iss", null),
                new Case("an iss that is markup", t -> t.get(launchUri + "sample-app?iss=" + q(LINK) + "&launch=l"),
                        403, "LOGIN_ERROR", "smart_unknown_iss", LINK),
                new Case("a javascript: iss", t -> t.get(launchUri + "sample-app?iss=" + q("javascript:alert(1)") + "&launch=l"),
                        403, "LOGIN_ERROR", "smart_unknown_iss", null),
                new Case("a 5,000-character iss", t -> t.get(launchUri + "sample-app?iss=https://" + LONG + "&launch=l"),
                        403, "LOGIN_ERROR", "smart_unknown_iss", LONG),
                new Case("a 10,000-character launch value", t -> t.get(launchUri + "sample-app?iss=" + q(t.sandboxIss())
                        + "&launch=" + "y".repeat(10_000)), 400, "LOGIN_ERROR", "smart_missing_parameters", null),
                new Case("a kc_launch that is markup", t -> t.appLogin(Map.of("kc_launch", LINK)),
                        400, "LOGIN_ERROR", "smart_launch_expired", LINK),
                new Case("iss and launch of an attacker on the app's request", t -> t.appLogin(Map.of("iss", t.attackerIss(), "launch", "l")),
                        403, "LOGIN_ERROR", "smart_unknown_iss", null),
                new Case("a callback error that is a link, with a phishing error_uri", t -> t.callback(Environment.SANDBOX_IDP,
                        "&error=" + q(LINK) + "&error_uri=" + q("https://evil.example/phish")), 502, "IDENTITY_PROVIDER_LOGIN_ERROR",
                        "cerner_authorize_error", LINK),
                new Case("a 3,000-character callback error", t -> t.callback(Environment.SANDBOX_IDP, "&error=" + "e".repeat(3_000)),
                        502, "IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_authorize_error", "e".repeat(3_000)),
                new Case("access denied with a javascript: error_uri", t -> t.callback(Environment.SANDBOX_IDP,
                        "&error=access_denied&error_uri=" + q("javascript:alert(1)")), 403, "IDENTITY_PROVIDER_LOGIN_ERROR",
                        "cerner_access_denied", null),
                new Case("one tenant's callback at another tenant's endpoint", t -> t.callback(Environment.NORTHWIND_IDP, "&code=stolen"),
                        400, "IDENTITY_PROVIDER_LOGIN_ERROR", "smart_callback_mismatch", null),
                new Case("a callback without state", t -> t.get("/broker/" + Environment.SANDBOX_IDP + "/endpoint?code=c&error_description="
                        + q(LINK)), 502, "IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_authorize_error", LINK)
        ).map(Arguments::of);
    }

    @Test
    void a_5000_character_app_id_is_cut_in_the_page_and_in_the_event() {
        Instant start = Instant.now();
        Browser.Page page = get("/smart-launch/" + LONG + "?iss=" + q(sandboxIss()) + "&launch=l");
        assertThat(page.status()).isEqualTo(404);
        assertThat(page.document().selectFirst("#smart-error-message").text()).doesNotContain(LONG).contains("x".repeat(100) + "…");
        JsonNode event = Events.await(env, start, "LOGIN_ERROR", "smart_unknown_app");
        assertThat(event.path("clientId").asText()).hasSizeLessThanOrEqualTo(101);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("browserCases")
    void a_hostile_browser_request_ends_on_a_page_with_an_event_and_nothing_else(Case hostile) {
        Instant start = Instant.now();
        int sessions = env.admin().userSessionCount(env.realm());
        int users = env.admin().get("/realms/smart/users/count").json().asInt();
        int attackerBefore = attackerRequests.get();
        int logOffset = env.keycloak().process().logText().length();

        Browser.Page page = hostile.request().apply(this);

        assertThat(page.status()).as(page.body()).isEqualTo(hostile.status());
        assertThat(page.document().selectFirst("#smart-launch-error")).as("our launch error page").isNotNull();
        assertThat(page.document().select("#smart-launch-error a, #smart-launch-error img, #smart-launch-error b, #kc-page-title a"))
                .as("markup from the request").isEmpty();
        assertThat(page.document().select("a[href*=evil.example], a[href^=javascript], [onerror], script:containsData(alert)"))
                .as("links or scripts from the request").isEmpty();
        if (hostile.payload() != null) {
            // Never raw in the page: at most shown as text (escaped), and Keycloak's language menu repeats the request
            // URL URL-encoded.
            assertThat(page.body()).doesNotContain(hostile.payload());
        }
        JsonNode event = Events.await(env, start, hostile.eventType(), hostile.error());
        assertBounded(event);
        assertThat(env.admin().userSessionCount(env.realm())).as("user sessions").isEqualTo(sessions);
        assertThat(env.admin().get("/realms/smart/users/count").json().asInt()).as("users").isEqualTo(users);
        assertThat(attackerRequests.get()).as("requests to an unconfigured host").isEqualTo(attackerBefore);
        assertThat(env.simulator().requestLog().entries()).as("token requests").noneMatch(r -> r.at().isAfter(start)
                && r.endpoint() == Endpoint.TOKEN);
        assertLogClean(hostile.payload(), logOffset);
    }

    @Test
    void five_thousand_scopes_for_a_system_token_are_refused_with_a_bounded_event() {
        Instant start = Instant.now();
        int logOffset = env.keycloak().process().logText().length();
        StringBuilder scopes = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            scopes.append("system/Patient").append(i).append(".read ");
        }
        Http.Reply reply = systemToken(Environment.SANDBOX_IDP, scopes.toString());
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().path("error").asText()).isEqualTo("invalid_scope");
        assertBounded(Events.await(env, start, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "invalid_scope"));
        assertLogClean(scopes.toString(), logOffset);
    }

    @Test
    void a_scope_with_a_nul_and_a_tenant_that_is_markup_are_refused_as_json() {
        Instant start = Instant.now();
        int logOffset = env.keycloak().process().logText().length();
        Http.Reply nul = systemToken(Environment.SANDBOX_IDP, "system/Patient.read\u0000\r\nFORGED");
        assertThat(nul.status()).isEqualTo(400);
        assertThat(nul.json().path("error").asText()).isEqualTo("invalid_scope");
        Http.Reply markup = systemToken(LINK, "system/Patient.read");
        assertThat(markup.status()).isEqualTo(400);
        assertThat(markup.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(markup.json().path("error").asText()).isEqualTo("unknown_tenant");
        assertBounded(Events.await(env, start, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "unknown_tenant"));
        assertLogClean("\u0000", logOffset);
    }

    @Test
    void a_launch_whose_iss_differs_from_the_tenant_only_in_spelling_sends_the_configured_fhir_base_as_aud() {
        // Upper-case scheme and host, default port, trailing slash: the same tenant, and Cerner must see its own FHIR base.
        String fhirBase = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
        String spelled = fhirBase.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "/";
        Browser browser = new Browser();
        Browser.Page landing = browser.get(env.realmUrl() + "/smart-launch/sample-app?iss=" + q(spelled) + "&launch="
                + env.simulator().createLaunch(Environment.SANDBOX_TENANT, "12724065", Environment.BROKER_CLIENT_ID));
        String handle = new Launches(env).handleOf(landing);
        Launches.Launched launched = new Launches(env).login(browser, handle, Launches.Binding.HANDLE, "portal", "portal");
        assertThat(launched.tokens().json().path("patient").asText()).isEqualTo("12724065");
        String toCerner = browser.history().stream().map(Browser.Page::location)
                .filter(l -> l != null && l.startsWith(env.simulator().authorizationEndpoint(Environment.SANDBOX_TENANT)))
                .findFirst().orElseThrow();
        assertThat(Browser.query(toCerner).get("aud")).isEqualTo(fhirBase);
    }

    // ---------------------------------------------------------------- helpers

    String sandboxIss() {
        return env.simulator().fhirBase(Environment.SANDBOX_TENANT);
    }

    Browser.Page get(String realmPath) {
        return new Browser().get(env.realmUrl() + realmPath);
    }

    Browser.Page appLogin(Map<String, String> extra) {
        Browser browser = new Browser();
        return browser.follow(browser.get(new Launches(env).app().authorizationRequest(extra).url()));
    }

    /**
     * A callback with a state Keycloak really issued for a sandbox launch (the browser is stopped on its way to Cerner),
     * at {@code alias}'s broker endpoint, with the given extra query.
     */
    Browser.Page callback(String alias, String query) {
        Browser browser = new Browser();
        Launches launches = new Launches(env);
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "JOE", Environment.BROKER_CLIENT_ID));
        OidcClient.AuthorizationRequest request = launches.app().authorizationRequest(Map.of("kc_launch", handle));
        String authorize = env.simulator().authorizationEndpoint(Environment.SANDBOX_TENANT);
        Browser.Page toCerner = browser.follow(browser.get(request.url()), l -> l.startsWith(authorize));
        String state = Browser.query(toCerner.location()).get("state");
        return browser.get(env.realmUrl() + "/broker/" + alias + "/endpoint?state=" + q(state) + query);
    }

    private Http.Reply systemToken(String tenant, String scope) {
        return Http.postForm(env.realmUrl() + "/cerner/system-token", Map.of("tenant", tenant, "scope", scope),
                "population-health-job", "population-health-secret");
    }

    /** No value of the event is longer than what the broker allows caller text, and none has a control character. */
    private static void assertBounded(JsonNode event) {
        List<JsonNode> values = new java.util.ArrayList<>();
        event.path("details").forEach(values::add);
        values.add(event.path("clientId"));
        for (JsonNode value : values) {
            assertThat(value.asText().length()).as("event value %s", value).isLessThanOrEqualTo(510);
            assertThat(value.asText()).as("event value").doesNotContain("\u0000").doesNotContain("\r").doesNotContain("\n");
        }
    }

    /** What Keycloak logged since {@code offset}: no payload in full, no control character, no forged line, no 500. */
    private void assertLogClean(String payload, int offset) {
        String log = env.keycloak().process().logText();
        log = log.substring(Math.min(offset, log.length()));
        if (payload != null && payload.length() > 40) {
            assertThat(log).as("Keycloak log").doesNotContain(payload);
        }
        assertThat(log).as("Keycloak log").doesNotContain("\u0000");
        assertThat(log.lines()).as("forged log lines").noneMatch(line -> line.startsWith("FORGED LOG LINE"));
        assertThat(log).as("server errors").doesNotContain("Uncaught server error");
    }
}
