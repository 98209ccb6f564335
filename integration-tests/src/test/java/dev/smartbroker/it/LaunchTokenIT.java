package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.KeycloakDatabase;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.LogMark;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.IssuedToken;
import dev.smartbroker.simulator.TenantSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Apps get the Cerner access token of their launch from Keycloak, refreshed by Cerner's rules. Tokens expire because
 * the tests move Keycloak's and the simulator's clocks ({@link Clocks}), not because they wait.
 */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchTokenIT {

    private final Environment env;
    private final Launches launches;

    LaunchTokenIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @AfterEach
    void restoreSimulator() {
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 570;
        env.simulator().faults().clear();
    }

    private Http.Reply launchToken(String keycloakAccessToken) {
        return Http.get(env.realmUrl() + "/cerner/launch-token", keycloakAccessToken);
    }

    private LogMark logMark() {
        return LogMark.of(env.simulator());
    }

    private long refreshGrants(LogMark since) {
        return since.since(env.simulator()).stream()
                .filter(r -> r.endpoint() == Endpoint.TOKEN && "refresh_token".equals(r.grantType())).count();
    }

    @Test
    void the_app_gets_its_launch_s_cerner_token_and_reads_the_chart_with_it() {
        Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        Http.Reply reply = launchToken(launch.tokens().accessToken());
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
        JsonNode body = reply.json();
        assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(body.path("patient").asText()).isEqualTo("12724065");
        assertThat(body.path("encounter").asText()).isEqualTo("97953483");
        assertThat(body.path("tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);
        assertThat(body.path("fhir_base").asText()).isEqualTo(env.simulator().fhirBase(Environment.SANDBOX_TENANT));
        assertThat(body.path("expires_in").asLong()).isBetween(500L, 570L);
        assertThat(body.path("scope").asText()).contains("user/Patient.read");
        assertThat(env.simulator().issuedTokens()).anySatisfy(t -> assertThat(t.value()).isEqualTo(body.path("access_token").asText()));

        Http.Reply patient = Http.get(body.path("fhir_base").asText() + "/Patient/" + body.path("patient").asText(),
                body.path("access_token").asText());
        assertThat(patient.status()).isEqualTo(200);
        assertThat(patient.json().path("name").get(0).path("text").asText()).isEqualTo("SMART, WILMA");
    }

    @Test
    void an_expired_token_is_refreshed_and_the_original_refresh_token_keeps_working() {
        // 20 s rather than a few: the first call must find the token fresh (it is due after 16 s) even on a slow machine.
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 20;
        try (TenantOverride noThrottle = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("minRefreshIntervalSeconds", "0"));
             Clocks clocks = Clocks.of(env)) {
            Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
            LogMark mark = logMark();
            Set<String> eventsBefore = Events.ids(env, "IDENTITY_PROVIDER_RETRIEVE_TOKEN");
            String first = launchToken(launch.tokens().accessToken()).json().path("access_token").asText();
            clocks.advance(Duration.ofSeconds(20));
            // Expired at Cerner too.
            assertThat(Http.get(env.simulator().fhirBase(Environment.SANDBOX_TENANT) + "/Patient/12724067", first).status()).isEqualTo(401);
            JsonNode second = launchToken(launch.tokens().accessToken()).json();
            assertThat(second.path("access_token").asText()).isNotEqualTo(first);
            clocks.advance(Duration.ofSeconds(20));
            JsonNode third = launchToken(launch.tokens().accessToken()).json();
            assertThat(third.path("access_token").asText()).isNotEqualTo(second.path("access_token").asText());
            // Cerner sent no new refresh token; the second refresh used the original one, and it still worked.
            assertThat(refreshGrants(mark)).isEqualTo(2);
            assertThat(Http.get(third.path("fhir_base").asText() + "/Patient/12724067", third.path("access_token").asText()).status())
                    .isEqualTo(200);
            // The app's own Keycloak token was never refreshed for this: the Cerner token lives beside it.
            Events.awaitNew(env, eventsBefore, "IDENTITY_PROVIDER_RETRIEVE_TOKEN",
                    e -> "true".equals(e.path("details").path("smart_refreshed").asText()));
        }
    }

    @Test
    void twenty_concurrent_callers_cause_one_upstream_refresh() throws Exception {
        // 20 s: the refreshed token must stay fresh while the twenty calls run, even on a slow machine.
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 20;
        try (TenantOverride noThrottle = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("minRefreshIntervalSeconds", "0"));
             Clocks clocks = Clocks.of(env)) {
            Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "NANCY", Launches.Binding.HANDLE);
            clocks.advance(Duration.ofSeconds(20));
            LogMark mark = logMark();
            ExecutorService pool = Executors.newFixedThreadPool(20);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Http.Reply>> calls = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    calls.add(pool.submit((Callable<Http.Reply>) () -> {
                        go.await();
                        return launchToken(launch.tokens().accessToken());
                    }));
                }
                go.countDown();
                Set<String> tokens = new HashSet<>();
                for (Future<Http.Reply> call : calls) {
                    Http.Reply reply = call.get();
                    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                    tokens.add(reply.json().path("access_token").asText());
                }
                assertThat(tokens).hasSize(1);
                assertThat(refreshGrants(mark)).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void no_launch_is_refreshed_twice_within_a_minute() {
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 2;
        try (Clocks clocks = Clocks.of(env)) {
            Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "HAILEY", Launches.Binding.HANDLE);
            LogMark mark = logMark();
            clocks.advance(Duration.ofSeconds(3));
            assertThat(launchToken(launch.tokens().accessToken()).status()).isEqualTo(200);
            assertThat(refreshGrants(mark)).isEqualTo(1);
            clocks.advance(Duration.ofSeconds(3));
            Http.Reply throttled = launchToken(launch.tokens().accessToken());
            assertThat(throttled.status()).isEqualTo(503);
            assertThat(throttled.json().path("error").asText()).isEqualTo("temporarily_unavailable");
            assertThat(Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow())).isBetween(50L, 60L);
            assertThat(refreshGrants(mark)).as("refreshes sent to Cerner").isEqualTo(1);
        }
    }

    @Test
    void when_cerner_refuses_the_refresh_the_app_is_told_to_relaunch_and_an_event_is_recorded() {
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 2;
        try (Clocks clocks = Clocks.of(env)) {
            Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "TIMMY", Launches.Binding.HANDLE);
            LogMark mark = logMark();
            Set<String> eventsBefore = Events.ids(env, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR");
            // online_access ends with the clinician's EHR session.
            env.simulator().endEhrSession("portal");
            clocks.advance(Duration.ofSeconds(3));
            Http.Reply reply = launchToken(launch.tokens().accessToken());
            assertThat(reply.status()).isEqualTo(409);
            assertThat(reply.json().path("error").asText()).isEqualTo("relaunch_required");
            JsonNode event = Events.awaitNew(env, eventsBefore, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "relaunch_required");
            assertThat(event.path("details").path("cerner_error").asText()).isEqualTo("invalid_grant");
            assertThat(event.path("details").path("reason").asText()).contains("EHR session");
            // The launch's Cerner authorization is over: no further upstream attempts.
            long refreshes = refreshGrants(mark);
            assertThat(launchToken(launch.tokens().accessToken()).json().path("error").asText()).isEqualTo("relaunch_required");
            assertThat(refreshGrants(mark)).isEqualTo(refreshes);
        }
    }

    @Test
    void a_token_belongs_to_its_launch_user_and_client_only() {
        Browser browser = new Browser();
        Launches.Launched wilma = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        Launches.Launched joe = launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
        Browser nurseBrowser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(nurseBrowser, Environment.SANDBOX_TENANT, "NANCY", Environment.BROKER_CLIENT_ID));
        Launches.Launched nurse = launches.login(nurseBrowser, handle, Launches.Binding.HANDLE, "nurse", "nurse");

        JsonNode a = launchToken(wilma.tokens().accessToken()).json();
        JsonNode b = launchToken(joe.tokens().accessToken()).json();
        JsonNode c = launchToken(nurse.tokens().accessToken()).json();
        assertThat(List.of(a.path("patient").asText(), b.path("patient").asText(), c.path("patient").asText()))
                .containsExactly("12724065", "12724067", "12724066");
        assertThat(Set.of(a.path("access_token").asText(), b.path("access_token").asText(), c.path("access_token").asText())).hasSize(3);

        assertThat(launchToken(null).status()).isEqualTo(401);
        assertThat(launchToken("not-a-token").json().path("error").asText()).isEqualTo("invalid_token");
    }

    @Test
    void clients_without_the_cerner_token_scope_are_refused() {
        String uuid = env.admin().clientUuid("smart", Launches.APP);
        String path = "/realms/smart/clients/" + uuid + "/default-client-scopes/";
        String scopeId = null;
        for (JsonNode s : env.admin().get("/realms/smart/client-scopes").json()) {
            if ("smart-launch-token".equals(s.path("name").asText())) {
                scopeId = s.path("id").asText();
            }
        }
        env.admin().delete(path + scopeId);
        try {
            Instant start = Instant.now();
            Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
            Http.Reply reply = launchToken(launch.tokens().accessToken());
            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.json().path("error").asText()).isEqualTo("insufficient_scope");
            Events.await(env, start, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "insufficient_scope");
        } finally {
            env.admin().put(path + scopeId, Map.of());
        }
    }

    @Test
    void a_token_without_a_launch_gets_launch_not_found() {
        Browser browser = new Browser();
        launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        var app = launches.app();
        var request = app.authorizationRequest(Map.of());
        var back = browser.follow(browser.get(request.url()), l -> l.startsWith(app.redirectUri()));
        Http.Reply reply = launchToken(app.exchange(request, back.location()).accessToken());
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().path("error").asText()).isEqualTo("launch_not_found");
    }

    @Test
    void logging_out_revokes_the_launch_s_cerner_refresh_token() {
        Browser browser = new Browser();
        Instant start = Instant.now();
        Launches.Launched launch = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        String refreshToken = env.simulator().issuedTokens().stream()
                .filter(t -> t.kind().equals("refresh") && !t.issuedAt().isBefore(start)).reduce((x, y) -> y).orElseThrow().value();

        Browser.Page logout = browser.follow(browser.get(env.realmUrl() + "/protocol/openid-connect/logout?client_id=sample-app&id_token_hint="
                + launch.tokens().idToken()));
        assertThat(logout.status()).isLessThan(400);
        assertThat(env.simulator().requestLog().entries()).anySatisfy(r -> {
            assertThat(r.endpoint()).isEqualTo(Endpoint.REVOKE);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.at()).isAfter(start);
        });
        // Cerner no longer honours it.
        Http.Reply refresh = Http.postForm(env.simulator().tokenEndpoint(Environment.SANDBOX_TENANT),
                Map.of("grant_type", "refresh_token", "refresh_token", refreshToken), Environment.BROKER_CLIENT_ID, Environment.BROKER_CLIENT_SECRET);
        assertThat(refresh.status()).isEqualTo(400);
        assertThat(refresh.json().path("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void no_cerner_token_reaches_keycloak_s_database_or_log_in_plain_text() throws Exception {
        Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        launchToken(launch.tokens().accessToken());
        KeycloakDatabase db = new KeycloakDatabase(env.keycloak().jdbcUrl());
        // Wait until Keycloak persisted the launch's client session (sessions are written behind the request).
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        List<KeycloakDatabase.Hit> marked = List.of();
        while (Instant.now().isBefore(deadline)) {
            marked = db.find(List.of("smart.launch.")).stream().filter(hit -> hit.table().contains("CLIENT_SESSION")).toList();
            if (!marked.isEmpty()) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(marked).as("the session's launches are persisted with it").isNotEmpty();
        String launchId = launch.tokens().accessTokenClaims().path("smart_launch").asText();
        assertThat(db.query("SELECT DATA FROM SMART_LAUNCH WHERE ID = ?", launchId)).as("the launch's sealed tokens are in its row")
                .singleElement().satisfies(row -> assertThat((String) row.get("DATA")).startsWith("v2."));

        List<String> secrets = new ArrayList<>();
        for (IssuedToken token : env.simulator().issuedTokens()) {
            secrets.add(token.value());
        }
        secrets.add(Environment.BROKER_CLIENT_SECRET);
        assertThat(db.find(secrets)).as("Cerner tokens or secrets in Keycloak's database")
                .allSatisfy(hit -> assertThat(hit.needle()).isEqualTo(Environment.BROKER_CLIENT_SECRET)
                        .as("the client secret may only sit in the identity provider configuration: " + hit)
                        .isNotNull())
                .noneMatch(hit -> !hit.needle().equals(Environment.BROKER_CLIENT_SECRET))
                .allMatch(hit -> hit.table().contains("IDENTITY_PROVIDER_CONFIG"));
        String log = env.keycloak().process().logText();
        assertThat(secrets).noneMatch(log::contains);
    }
}
