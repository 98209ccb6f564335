package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.Metrics;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.Fault;
import dev.smartbroker.simulator.FaultType;
import dev.smartbroker.simulator.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker's meters on Keycloak's management interface ({@code /metrics}, README "Metrics"): each counter moves by
 * exactly what the test did, and no tag carries text that came from a request.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class MetricsIT {

    static final String LAUNCHES = "smart_launches_total";
    static final String UPSTREAM = "smart_upstream_requests_seconds_count";
    static final String LAUNCH_TOKENS = "smart_launch_tokens_total";
    static final String SYSTEM_TOKENS = "smart_system_tokens_total";

    private final Environment env;
    private final Launches launches;

    MetricsIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @AfterEach
    void clearFaults() {
        env.simulator().faults().clear();
    }

    private Metrics scrape() {
        return Metrics.scrape(env.keycloak());
    }

    private static Map<String, String> tags(String... pairs) {
        Map<String, String> tags = new java.util.LinkedHashMap<>();
        tags.put("realm", "smart");
        for (int i = 0; i < pairs.length; i += 2) {
            tags.put(pairs[i], pairs[i + 1]);
        }
        return tags;
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private long simulatorCalls(Instant since, Set<Endpoint> endpoints) {
        return env.simulator().requestLog().entries().stream()
                .filter(r -> !r.at().isBefore(since) && endpoints.contains(r.endpoint())).count();
    }

    @Test
    void a_launch_and_its_token_calls_count_once_each_and_every_upstream_call_is_timed() {
        Instant start = Instant.now();
        Metrics before = scrape();

        Launches.Launched launched = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        String accessToken = launched.tokens().accessToken();
        for (int i = 0; i < 2; i++) {
            Http.Reply reply = Http.get(env.realmUrl() + "/smart/launch-token", accessToken);
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }
        Http.Reply anonymous = Http.get(env.realmUrl() + "/smart/launch-token", null);
        assertThat(anonymous.status()).isEqualTo(401);

        Metrics after = scrape();
        assertThat(after.delta(before, LAUNCHES, tags("idp", Environment.SANDBOX_IDP, "outcome", "success"))).isEqualTo(1.0);
        assertThat(after.delta(before, LAUNCHES, tags())).as("launches of any outcome").isEqualTo(1.0);
        assertThat(after.delta(before, LAUNCH_TOKENS, tags("idp", Environment.SANDBOX_IDP, "result", "cached"))).isEqualTo(2.0);
        assertThat(after.delta(before, LAUNCH_TOKENS, tags("idp", Environment.SANDBOX_IDP, "result", "refreshed"))).isZero();
        assertThat(after.delta(before, LAUNCH_TOKENS, tags("idp", "unknown", "result", "invalid_token"))).isEqualTo(1.0);

        // One code exchange; discovery and keys came from the node's caches unless the simulator saw them asked for.
        assertThat(after.delta(before, UPSTREAM, tags("idp", Environment.SANDBOX_IDP, "endpoint", "token-code", "outcome", "ok")))
                .isEqualTo(1.0);
        assertThat(after.delta(before, UPSTREAM, tags("endpoint", "token-code"))).isEqualTo(1.0);
        assertThat(after.delta(before, UPSTREAM, tags("endpoint", "discovery")))
                .isEqualTo(simulatorCalls(start, Set.of(Endpoint.DISCOVERY, Endpoint.METADATA, Endpoint.OIDC_CONFIGURATION)));
        assertThat(after.delta(before, UPSTREAM, tags("endpoint", "jwks"))).isEqualTo(simulatorCalls(start, Set.of(Endpoint.JWKS)));
        assertThat(after.delta(before, UPSTREAM, tags("endpoint", "token-refresh"))).isZero();
        // The timer has its latency buckets and sum beside the count.
        assertThat(after.samples("smart_upstream_requests_seconds_bucket")).anySatisfy(s ->
                assertThat(s.labels()).containsEntry("endpoint", "token-code").containsEntry("le", "0.5"));
        assertThat(after.value("smart_upstream_requests_seconds_sum", tags("endpoint", "token-code"))).isPositive();
    }

    @Test
    void a_refused_launch_counts_under_its_problem_and_the_attacker_s_iss_is_no_tag() {
        String attackerHost = "attacker-" + UUID.randomUUID() + ".example";
        String attackerApp = "app-" + UUID.randomUUID();
        Metrics before = scrape();

        Browser.Page page = new Browser().get(env.realmUrl() + "/smart-launch/sample-app?iss=" + q("https://" + attackerHost
                + "/r4/" + Environment.SANDBOX_TENANT) + "&launch=" + UUID.randomUUID());
        assertThat(page.status()).isEqualTo(403);
        Browser.Page unknownApp = new Browser().get(env.realmUrl() + "/smart-launch/" + attackerApp + "?iss=" + q("https://"
                + attackerHost + "/r4") + "&launch=x");
        assertThat(unknownApp.status()).isEqualTo(404);

        Metrics after = scrape();
        assertThat(after.delta(before, LAUNCHES, tags("idp", "unknown", "outcome", "unknown_tenant"))).isEqualTo(1.0);
        assertThat(after.delta(before, LAUNCHES, tags("idp", "unknown", "outcome", "unknown_app"))).isEqualTo(1.0);
        assertThat(after.delta(before, LAUNCHES, tags())).isEqualTo(2.0);
        assertThat(after.text()).doesNotContain(attackerHost).doesNotContain(attackerApp);
        // Every launch's tags are a tenant of the realm or one that other tests registered and removed (the generic
        // tenant, "it-…", and GuidesIT's "guide-…"), "unknown", and a problem name.
        Set<String> aliases = new java.util.HashSet<>(Set.of("unknown", Environment.GENERIC_IDP));
        env.admin().get("/realms/" + env.realm() + "/identity-provider/instances").json()
                .forEach(idp -> aliases.add(idp.path("alias").asText()));
        assertThat(after.samples(LAUNCHES)).isNotEmpty().allSatisfy(s -> {
            assertThat(s.labels().keySet()).containsExactlyInAnyOrder("realm", "idp", "outcome");
            assertThat(s.labels().get("idp")).matches(alias -> aliases.contains(alias) || alias.startsWith("it-") || alias.startsWith("guide-"),
                    "a tenant alias");
            assertThat(s.labels().get("outcome")).matches("success|[a-z]+(_[a-z]+)+");
        });
    }

    @Test
    void a_system_token_is_fetched_once_then_served_from_the_cache() {
        // A scope set no other test asks for, so the first call cannot find it cached.
        String scope = "system/Patient.read system/Observation.read";
        Instant start = Instant.now();
        Metrics before = scrape();

        for (int i = 0; i < 2; i++) {
            Http.Reply reply = Http.postForm(env.realmUrl() + "/smart/system-token", Map.of("tenant", Environment.SANDBOX_IDP, "scope", scope),
                    SystemTokenIT.JOB, SystemTokenIT.JOB_SECRET);
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }
        String bogusTenant = "tenant-" + UUID.randomUUID();
        Http.Reply unknown = Http.postForm(env.realmUrl() + "/smart/system-token", Map.of("tenant", bogusTenant, "scope", scope),
                SystemTokenIT.JOB, SystemTokenIT.JOB_SECRET);
        assertThat(unknown.json().path("error").asText()).isEqualTo("unknown_tenant");

        Metrics after = scrape();
        List<LoggedRequest> cernerCalls = env.simulator().requestLog().entries().stream()
                .filter(r -> !r.at().isBefore(start) && r.endpoint() == Endpoint.TOKEN && "client_credentials".equals(r.grantType())).toList();
        assertThat(cernerCalls).hasSize(1);
        assertThat(after.delta(before, SYSTEM_TOKENS, tags("idp", Environment.SANDBOX_IDP, "result", "fetched"))).isEqualTo(1.0);
        assertThat(after.delta(before, SYSTEM_TOKENS, tags("idp", Environment.SANDBOX_IDP, "result", "cached"))).isEqualTo(1.0);
        assertThat(after.delta(before, SYSTEM_TOKENS, tags("idp", "unknown", "result", "unknown_tenant"))).isEqualTo(1.0);
        assertThat(after.delta(before, UPSTREAM, tags("idp", Environment.SANDBOX_IDP, "endpoint", "token-client-credentials",
                "outcome", "ok"))).isEqualTo(1.0);
        assertThat(after.text()).doesNotContain(bogusTenant);
    }

    @Test
    void an_ehr_that_rejects_the_broker_counts_as_a_failed_launch_and_a_failed_upstream_call() {
        env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.INVALID_CLIENT).forTenant(Environment.SANDBOX_TENANT));
        Metrics before = scrape();

        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
        OidcClient app = launches.app();
        OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_launch", handle));
        Browser.Page page;
        try {
            page = CernerPages.signInAndAllow(browser, browser.get(request.url()), "portal", "portal", l -> l.startsWith(app.redirectUri()));
            throw new AssertionError("the launch did not fail: " + page);
        } catch (CernerPages.UnexpectedPage expected) {
            page = expected.page();
        }
        assertThat(page.status()).isEqualTo(502);

        Metrics after = scrape();
        assertThat(after.delta(before, LAUNCHES, tags("idp", Environment.SANDBOX_IDP, "outcome", "ehr_invalid_client"))).isEqualTo(1.0);
        assertThat(after.delta(before, LAUNCHES, tags("outcome", "success"))).isZero();
        assertThat(after.delta(before, UPSTREAM, tags("idp", Environment.SANDBOX_IDP, "endpoint", "token-code", "outcome", "invalid_client")))
                .isEqualTo(1.0);
        assertThat(after.delta(before, UPSTREAM, tags("endpoint", "token-code", "outcome", "ok"))).isZero();
        // Cerner's error text is an event detail at most, never a tag.
        assertThat(after.samples(UPSTREAM)).allSatisfy(s -> assertThat(s.labels().get("outcome"))
                .isIn("ok", "error", "unreachable", "timeout", "discovery", "invalid_grant", "invalid_client", "token_error", "id_token_invalid"));
    }
}
