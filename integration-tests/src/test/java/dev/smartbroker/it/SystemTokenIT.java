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
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.LogMark;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.Fault;
import dev.smartbroker.simulator.FaultType;
import dev.smartbroker.simulator.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Backend jobs get Cerner system tokens from Keycloak; Keycloak signs the assertion with a realm key. Cached tokens
 * expire because the test moves the clocks ({@link Clocks}), not because it waits.
 */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
class SystemTokenIT {

    static final String JOB = "population-health-job";
    static final String JOB_SECRET = "population-health-secret";

    private final Environment env;

    SystemTokenIT(Environment env) {
        this.env = env;
    }

    @AfterEach
    void restore() {
        env.simulator().faults().clear();
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 570;
    }

    Http.Reply systemToken(String tenant, String scope) {
        return Http.postForm(env.realmUrl() + "/cerner/system-token", Map.of("tenant", tenant, "scope", scope), JOB, JOB_SECRET);
    }

    LogMark logMark() {
        return LogMark.of(env.simulator());
    }

    List<LoggedRequest> cernerTokenCalls(LogMark since) {
        return since.since(env.simulator()).stream()
                .filter(r -> r.endpoint() == Endpoint.TOKEN && "client_credentials".equals(r.grantType())).toList();
    }

    @Test
    void a_backend_job_gets_a_system_token_and_reads_a_patient_with_it() {
        LogMark mark = logMark();
        Set<String> eventsBefore = Events.ids(env, "IDENTITY_PROVIDER_RETRIEVE_TOKEN");
        Http.Reply reply = systemToken(Environment.SANDBOX_IDP, "system/Patient.read");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonNode token = reply.json();
        assertThat(token.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(token.path("scope").asText()).isEqualTo("system/Patient.read");
        assertThat(token.path("expires_in").asLong()).isBetween(500L, 570L);
        assertThat(token.path("tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);

        Http.Reply patient = Http.get(token.path("fhir_base").asText() + "/Patient/12724065", token.path("access_token").asText());
        assertThat(patient.status()).isEqualTo(200);
        assertThat(patient.json().path("name").get(0).path("text").asText()).isEqualTo("SMART, WILMA");

        // The simulator checked the assertion against the realm's Cerner JWKS URL.
        assertThat(cernerTokenCalls(mark)).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.clientId()).isEqualTo(Environment.SYSTEM_ACCOUNT_ID);
        });
        assertThat(env.simulator().requestLog().outbound()).anySatisfy(f -> assertThat(f.url()).isEqualTo(env.realmUrl() + "/cerner/jwks"));
        Events.awaitNew(env, eventsBefore, "IDENTITY_PROVIDER_RETRIEVE_TOKEN", e -> JOB.equals(e.path("clientId").asText()));
    }

    @Test
    void fifty_concurrent_requests_cause_one_cerner_call_and_an_expired_token_is_replaced() throws Exception {
        // 20 s: the token must stay fresh while the fifty calls run, even on a slow machine.
        env.simulator().settings(Environment.SANDBOX_TENANT).accessTokenLifetimeSeconds = 20;
        String scope = "system/Observation.read system/Encounter.read";
        try (Clocks clocks = Clocks.of(env)) {
            LogMark mark = logMark();
            Set<String> tokens = concurrently(50, () -> systemToken(Environment.SANDBOX_IDP, scope));
            assertThat(tokens).hasSize(1);
            assertThat(cernerTokenCalls(mark)).hasSize(1);

            clocks.advance(Duration.ofSeconds(20));
            Http.Reply renewed = systemToken(Environment.SANDBOX_IDP, scope);
            assertThat(renewed.status()).isEqualTo(200);
            assertThat(renewed.json().path("access_token").asText()).isNotIn(tokens);
            assertThat(cernerTokenCalls(mark)).hasSize(2);
        }
    }

    @Test
    void requests_outside_the_client_s_grant_are_refused_without_calling_cerner() {
        Instant start = Instant.now();
        LogMark mark = logMark();
        Http.Reply scope = systemToken(Environment.SANDBOX_IDP, "system/Patient.read system/Condition.read");
        assertThat(scope.status()).isEqualTo(400);
        assertThat(scope.json().path("error").asText()).isEqualTo("invalid_scope");
        assertThat(scope.json().path("error_description").asText()).contains("system/Condition.read");
        Http.Reply tenant = systemToken(Environment.NORTHWIND_IDP, "system/Patient.read");
        assertThat(tenant.status()).isEqualTo(403);
        assertThat(tenant.json().path("error").asText()).isEqualTo("unauthorized_client");
        Http.Reply unknown = systemToken("no-such-tenant", "system/Patient.read");
        assertThat(unknown.json().path("error").asText()).isEqualTo("unknown_tenant");
        Http.Reply wrongSecret = Http.postForm(env.realmUrl() + "/cerner/system-token",
                Map.of("tenant", Environment.SANDBOX_IDP, "scope", "system/Patient.read"), JOB, "wrong");
        assertThat(wrongSecret.status()).isEqualTo(401);
        assertThat(wrongSecret.json().path("error").asText()).isEqualTo("unauthorized_client");
        try (TenantOverride disabled = TenantOverride.enabled(env, Environment.SANDBOX_IDP, false)) {
            assertThat(systemToken(Environment.SANDBOX_IDP, "system/Patient.read").json().path("error").asText()).isEqualTo("tenant_disabled");
        }
        assertThat(mark.since(env.simulator())).isEmpty();
        JsonNode event = Events.await(env, start, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "invalid_scope");
        assertThat(event.path("details").path("identity_provider").asText()).isEqualTo(Environment.SANDBOX_IDP);
    }

    @Test
    void cerner_refusing_the_assertion_says_to_check_the_jwks_registration() {
        env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.INVALID_CLIENT).forTenant(Environment.SANDBOX_TENANT));
        try (TenantOverride noCache = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("systemTokenCache", "false"))) {
            Instant start = Instant.now();
            Http.Reply reply = systemToken(Environment.SANDBOX_IDP, "system/Patient.read");
            assertThat(reply.status()).isEqualTo(502);
            assertThat(reply.json().path("error").asText()).isEqualTo("cerner_invalid_client");
            assertThat(reply.json().path("error_description").asText()).contains(env.realmUrl() + "/cerner/jwks").contains("Cerner Central");
            Events.await(env, start, "IDENTITY_PROVIDER_RETRIEVE_TOKEN_ERROR", "cerner_invalid_client");
        }
    }

    @Test
    void a_slow_cerner_is_cut_off_by_the_tenant_timeout() {
        env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.LATENCY).latency(2_000).forTenant(Environment.SANDBOX_TENANT));
        try (TenantOverride slow = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("systemTokenCache", "false", "readTimeoutMillis", "500"))) {
            long began = System.nanoTime();
            Http.Reply reply = systemToken(Environment.SANDBOX_IDP, "system/Patient.read");
            long millis = (System.nanoTime() - began) / 1_000_000;
            assertThat(reply.status()).isEqualTo(503);
            assertThat(reply.json().path("error").asText()).isEqualTo("temporarily_unavailable");
            assertThat(reply.headers().firstValue("Retry-After")).isPresent();
            assertThat(millis).as("answered after the read timeout, not after Cerner").isLessThan(1_900);
        }
    }

    static Set<String> concurrently(int callers, Callable<Http.Reply> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Http.Reply>> futures = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            Set<String> tokens = new HashSet<>();
            for (Future<Http.Reply> future : futures) {
                Http.Reply reply = future.get();
                assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                tokens.add(reply.json().path("access_token").asText());
            }
            return tokens;
        } finally {
            pool.shutdownNow();
        }
    }
}
