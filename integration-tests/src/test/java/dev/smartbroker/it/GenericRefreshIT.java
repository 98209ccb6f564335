package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.LogMark;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The launch-token API of a generic SMART tenant across refreshes: the EHR rotates refresh tokens (each one works
 * once, docs/ehr/smart-app-launch.md §6), so every refresh must use the one the previous refresh returned. Time is
 * moved, not waited for ({@link Clocks}).
 */
@ExtendWith(SmartBrokerEnvironment.class)
@ShiftsTime
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenericRefreshIT {

    private final Environment env;
    private TenantOverride tenant;

    GenericRefreshIT(Environment env) {
        this.env = env;
    }

    @BeforeAll
    void register() {
        Map<String, String> config = GenericSmartIT.config(env);
        config.put("minRefreshIntervalSeconds", "0");
        tenant = TenantOverride.register(env, "smart", Environment.GENERIC_IDP, config);
    }

    @AfterAll
    void remove() {
        tenant.close();
        env.simulator().settings(Environment.GENERIC_TENANT).accessTokenLifetimeSeconds = 570;
    }

    private Http.Reply launchToken(String accessToken) {
        return Http.get(env.realmUrl() + "/smart/launch-token", accessToken);
    }

    @Test
    void each_refresh_uses_the_refresh_token_the_previous_one_returned() {
        // 20 s: the first call must find the token fresh (due after 16 s) even on a slow machine.
        env.simulator().settings(Environment.GENERIC_TENANT).accessTokenLifetimeSeconds = 20;
        Launches launches = new Launches(env);
        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.GENERIC_TENANT, "TIMMY", Environment.GENERIC_CLIENT_ID));
        Launches.Launched launch = launches.login(browser, handle, Launches.Binding.HANDLE, "portal", "portal");
        // GenericSmartIT (which runs before every class that shifts time) registered this alias and deleted it, and
        // with it the clinician's link: the tenant was re-created, and the clinician's account was linked again.
        JsonNode users = env.admin().get("/realms/smart/users?username=" + Environment.GENERIC_IDP
                + ".practitioner.12742069&exact=true").json();
        assertThat(users).hasSize(1);
        assertThat(env.admin().get("/realms/smart/users/" + users.get(0).path("id").asText() + "/federated-identity").json())
                .anySatisfy(link -> assertThat(link.path("identityProvider").asText()).isEqualTo(Environment.GENERIC_IDP));
        try (Clocks clocks = Clocks.of(env)) {
            LogMark mark = LogMark.of(env.simulator());
            String previous = launchToken(launch.tokens().accessToken()).json().path("access_token").asText();
            for (int refresh = 1; refresh <= 3; refresh++) {
                clocks.advance(Duration.ofSeconds(20));
                Http.Reply reply = launchToken(launch.tokens().accessToken());
                assertThat(reply.status()).as("refresh %d: %s", refresh, reply.body()).isEqualTo(200);
                JsonNode token = reply.json();
                assertThat(token.path("access_token").asText()).isNotEqualTo(previous);
                assertThat(token.path("tenant").asText()).isEqualTo(GenericSmartIT.TENANT_ID);
                assertThat(Http.get(token.path("fhir_base").asText() + "/Patient/" + token.path("patient").asText(),
                        token.path("access_token").asText()).status()).isEqualTo(200);
                previous = token.path("access_token").asText();
            }
            // Three refresh grants, each answered: a reused (rotated-out) refresh token would have been refused.
            assertThat(mark.since(env.simulator()).stream()
                    .filter(r -> r.endpoint() == Endpoint.TOKEN && "refresh_token".equals(r.grantType()))
                    .map(r -> r.status())).containsExactly(200, 200, 200);
        }
    }
}
