package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.LogMark;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An EHR that closes idle keep-alive connections (a plain FIN, no {@code Connection: close}, as servers and load
 * balancers with a short keep-alive timeout do) must not fail the next launch's code exchange with
 * {@code cerner_unreachable}. Keycloak's pooled client only checks a pooled connection idle for more than 2 s
 * (Apache's validate-after-inactivity) and never retries a POST that went out, so a connection the EHR closed less than
 * 2 s ago is reused and the exchange gets no answer (docs/keycloak-notes.md §19). The fix is the server setting that
 * evicts idle connections before the EHR closes them; this test runs a Keycloak of its own with it, against a
 * simulator of its own that drops connections idle for {@value #EHR_IDLE_TIMEOUT_MS} ms.
 *
 * <p>The pauses wait for a network idle timeout of the simulator, not for a clock: each is bounded and short, longer
 * than the EHR's idle timeout and shorter than the 2 s after which Keycloak's pool would check the connection itself.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class StaleConnectionIT {

    /** The simulated EHR's keep-alive timeout. */
    static final long EHR_IDLE_TIMEOUT_MS = 500;
    /** Keycloak's idle eviction: a pooled connection is never reused after about twice this much idle time. */
    static final long EVICT_IDLE_MS = 100;
    /** Between launches: past the EHR's timeout (plus the forwarder's 50 ms sweep), within the pool's 2 s. */
    static final long PAUSE_MS = EHR_IDLE_TIMEOUT_MS + 500;
    static final String JOB = "population-health-job";
    static final String JOB_SECRET = "population-health-secret";

    private static Environment env;

    /** The shared environment has built the distribution whose twin runs here. */
    @BeforeAll
    static void start(Environment shared) {
        env = Environment.start(Environment.Options.own("stale-connections", EHR_IDLE_TIMEOUT_MS,
                List.of("--spi-connections-http-client--default--max-connection-idle-time-millis=" + EVICT_IDLE_MS)));
    }

    @AfterAll
    static void stop() {
        if (env != null) {
            env.close();
        }
    }

    /** Waits out the EHR's keep-alive timeout: a network timeout of the simulator, bounded and short. */
    private static void idlePastTheEhrTimeout() {
        try {
            Thread.sleep(PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** One launch: "ok", or what went wrong (the broker's event error when there is one). */
    private static String launch(String patient) {
        Instant start = Instant.now();
        try {
            Launches.Launched launch = new Launches(env).launch(new Browser(), Environment.SANDBOX_TENANT, patient, Launches.Binding.HANDLE);
            return launch.tokens().accessTokenClaims().path("patient").asText().isEmpty() ? "no patient" : "ok";
        } catch (AssertionError e) {
            List<String> errors = Events.since(env, start, "IDENTITY_PROVIDER_LOGIN_ERROR").stream()
                    .map(event -> event.path("error").asText()).toList();
            return "failed " + errors;
        }
    }

    @Test
    void consecutive_launches_after_the_ehr_closed_idle_connections_all_succeed() {
        List<String> outcomes = new ArrayList<>();
        outcomes.add(launch("WILMA"));
        List<String> patients = List.of("NANCY", "JOE", "WILMA", "NANCY");
        for (String patient : patients) {
            idlePastTheEhrTimeout();
            outcomes.add(launch(patient));
        }

        assertThat(outcomes).as("launches, each after the EHR closed the idle connections").containsOnly("ok");
        assertThat(env.keycloak().process().logText()).as("Keycloak's log").doesNotContain("NoHttpResponseException");
    }

    @Test
    void system_tokens_after_the_ehr_closed_idle_connections_are_fetched() {
        List<Integer> statuses = new ArrayList<>();
        statuses.add(systemToken("system/Patient.read"));
        // Each scope set is a fresh client_credentials POST to the EHR: system tokens are cached per scope set.
        List<String> scopes = List.of("system/Observation.read", "system/Encounter.read", "system/Patient.read system/Observation.read");
        for (String scope : scopes) {
            idlePastTheEhrTimeout();
            statuses.add(systemToken(scope));
        }

        assertThat(statuses).as("system-token answers, each after the EHR closed the idle connections").containsOnly(200);
        assertThat(env.keycloak().process().logText()).as("Keycloak's log").doesNotContain("NoHttpResponseException");
    }

    @Test
    void launch_token_refreshes_after_the_ehr_closed_idle_connections_succeed() {
        // A 1 s Cerner token is always due for a refresh: each call of launch-token POSTs a refresh_token grant.
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 1;
        try (TenantOverride noThrottle = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("minRefreshIntervalSeconds", "0"))) {
            Launches.Launched launch = new Launches(env).launch(new Browser(), Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
            LogMark mark = LogMark.of(env.simulator());
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                idlePastTheEhrTimeout();
                statuses.add(Http.get(env.realmUrl() + "/cerner/launch-token", launch.tokens().accessToken()).status());
            }

            assertThat(statuses).as("launch-token answers, each after the EHR closed the idle connections").containsOnly(200);
            assertThat(mark.since(env.simulator())).as("refreshes at the EHR")
                    .filteredOn(r -> r.endpoint() == Endpoint.TOKEN && "refresh_token".equals(r.grantType())).hasSize(3);
            assertThat(env.keycloak().process().logText()).as("Keycloak's log").doesNotContain("NoHttpResponseException");
        } finally {
            env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 570;
        }
    }

    private static int systemToken(String scope) {
        return Http.postForm(env.realmUrl() + "/cerner/system-token", Map.of("tenant", Environment.SANDBOX_IDP, "scope", scope),
                JOB, JOB_SECRET).status();
    }
}
