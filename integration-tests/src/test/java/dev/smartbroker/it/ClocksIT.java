package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Json;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How the tests move time ({@link Clocks}), and the guards of the test-only it-clock provider behind it. */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
class ClocksIT {

    private static final String OFFSET = "/realms/master/it-clock/offset";

    private final Environment env;

    ClocksIT(Environment env) {
        this.env = env;
    }

    @Test
    void keycloak_and_the_simulator_move_forward_together_and_are_back_on_real_time_afterwards() {
        try (Clocks clocks = Clocks.of(env)) {
            clocks.advance(Duration.ofSeconds(90));
            clocks.advance(Duration.ofSeconds(30));
            assertThat(clocks.advanced()).isEqualTo(Duration.ofMinutes(2));
            assertThat(keycloakAheadSeconds()).isCloseTo(120, within(5L));
            assertThat(simulatorAheadSeconds()).isCloseTo(120, within(5L));
        }
        assertThat(env.admin().getOnServer(OFFSET).json().path("seconds").asInt()).isZero();
        assertThat(keycloakAheadSeconds()).isCloseTo(0, within(5L));
        assertThat(simulatorAheadSeconds()).isCloseTo(0, within(5L));
    }

    @Test
    void a_failing_test_leaves_both_clocks_on_real_time() {
        assertThatThrownBy(() -> {
            try (Clocks clocks = Clocks.of(env)) {
                clocks.advance(Duration.ofSeconds(30));
                throw new AssertionError("the test failed");
            }
        }).hasMessage("the test failed");
        assertThat(env.admin().getOnServer(OFFSET).json().path("seconds").asInt()).isZero();
        assertThat(simulatorAheadSeconds()).isCloseTo(0, within(5L));
    }

    @Test
    void clocks_move_forward_by_whole_seconds_and_only_for_classes_that_run_last() {
        try (Clocks clocks = Clocks.of(env)) {
            assertThatThrownBy(() -> clocks.advance(Duration.ofMillis(1500))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> clocks.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThat(clocks.advanced()).isZero();
        }
        assertThatThrownBy(() -> NotShiftingTime.tryToShift(env)).isInstanceOf(IllegalStateException.class).hasMessageContaining("@ShiftsTime");
    }

    @Test
    void only_a_master_realm_admin_may_read_or_set_keycloak_s_clock() {
        String url = env.keycloak().url() + OFFSET;
        assertThat(Http.get(url, null).status()).isEqualTo(401);
        assertThat(Http.get(url, "not-a-token").status()).isEqualTo(401);
        assertThat(put(url, null, "{\"seconds\": 30}").statusCode()).isEqualTo(401);
        assertThat(env.admin().getOnServer("/realms/smart/it-clock/offset").status()).as("another realm").isEqualTo(404);

        // A master-realm user without the admin role.
        String users = "/realms/master/users";
        KeycloakAdmin.Response created = env.admin().post(users, Map.of("username", "it-clock-visitor", "enabled", true,
                "email", "visitor@example.org", "emailVerified", true, "firstName", "Clock", "lastName", "Visitor",
                "credentials", List.of(Map.of("type", "password", "value", "visitor", "temporary", false))));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = env.admin().get(users + "?exact=true&username=it-clock-visitor").json().get(0).path("id").asText();
        try {
            String visitor = masterToken("it-clock-visitor", "visitor");
            assertThat(Http.get(url, visitor).status()).isEqualTo(403);
            assertThat(put(url, visitor, "{\"seconds\": 30}").statusCode()).isEqualTo(403);
        } finally {
            env.admin().delete(users + "/" + id);
        }

        assertThat(env.admin().putOnServer(OFFSET, Map.of("seconds", 3601)).status()).as("beyond an hour").isEqualTo(400);
        assertThat(env.admin().putOnServer(OFFSET, Map.of("seconds", "30")).status()).as("not a number").isEqualTo(400);
        assertThat(env.admin().putOnServer(OFFSET, Map.of()).status()).isEqualTo(400);
        assertThat(env.admin().getOnServer(OFFSET).json().path("seconds").asInt()).isZero();
    }

    /** How far Keycloak's clock is ahead of this JVM's, as Keycloak writes it into a new token. */
    private long keycloakAheadSeconds() {
        return Json.jwtPayload(masterToken("admin", "admin")).path("iat").asLong() - Instant.now().getEpochSecond();
    }

    private long simulatorAheadSeconds() {
        return Duration.between(Instant.now(), env.simulator().clock().instant()).getSeconds();
    }

    private String masterToken(String username, String password) {
        Http.Reply reply = Http.postForm(env.keycloak().url() + "/realms/master/protocol/openid-connect/token",
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", username, "password", password), null, null);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().path("access_token").asText();
    }

    private static HttpResponse<String> put(String url, String bearer, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

/** A class without {@link ShiftsTime}: it runs in Failsafe's order, so it may not move time. */
final class NotShiftingTime {

    private NotShiftingTime() {
    }

    static void tryToShift(Environment env) {
        Clocks.of(env).close();
    }
}
