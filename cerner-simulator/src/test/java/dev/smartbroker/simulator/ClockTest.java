package dev.smartbroker.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.SYSTEM;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The simulator's own clock: every time-based decision reads it, and tests advance it instead of sleeping. */
class ClockTest {

    static final Instant FIXED = Instant.parse("2031-03-04T05:06:07Z");
    Fixture f;

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void starts_at_the_system_time_and_moves_only_when_advanced() {
        f = Fixture.start();
        Instant before = Instant.now();
        Instant now = f.sim.clock().instant();
        Instant after = Instant.now();
        assertThat(now).isBetween(before, after);
        assertThat(f.sim.clock().offset()).isZero();

        Instant advanced = f.sim.clock().advance(Duration.ofMinutes(10));

        assertThat(advanced).isAfterOrEqualTo(before.plus(Duration.ofMinutes(10)));
        assertThat(f.sim.clock().offset()).isEqualTo(Duration.ofMinutes(10));
        assertThat(f.sim.clock().withZone(ZoneId.of("Europe/Paris")).instant()).isAfterOrEqualTo(advanced);
        assertThat(f.sim.clock().getZone()).isEqualTo(ZoneOffset.UTC);
        assertThatThrownBy(() -> f.sim.clock().advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(f.sim.clock().offset()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void a_fixed_base_clock_dates_id_tokens_the_request_log_and_issued_tokens() throws Exception {
        f = Fixture.start(SimulatorConfig.defaults().withClock(Clock.fixed(FIXED, ZoneOffset.UTC)));
        f.sim.requestLog().clear();

        JWTClaimsSet first = idToken();

        assertThat(first.getIssueTime()).isEqualTo(Date.from(FIXED));
        assertThat(first.getExpirationTime()).isEqualTo(Date.from(FIXED.plusSeconds(600)));
        assertThat(f.sim.requestLog().entries()).isNotEmpty().allSatisfy(e -> assertThat(e.at()).isEqualTo(FIXED));
        assertThat(f.sim.issuedTokens()).isNotEmpty().allSatisfy(t -> assertThat(t.issuedAt()).isEqualTo(FIXED));

        f.sim.clock().advance(Duration.ofHours(1));

        assertThat(idToken().getIssueTime()).isEqualTo(Date.from(FIXED.plus(Duration.ofHours(1))));
    }

    @Test
    void checks_client_assertions_against_its_own_time_not_the_wall_clock() {
        f = Fixture.start();
        String endpoint = f.sim.tokenEndpoint(SANDBOX);
        f.sim.clock().advance(Duration.ofMinutes(10));

        Browser.Reply wallClock = f.systemToken(SANDBOX, "system/Patient.read", TestKeys.assertion(SYSTEM, endpoint, f.rsaKey));
        Instant now = f.sim.clock().instant();
        Browser.Reply simulatorTime = f.systemToken(SANDBOX, "system/Patient.read", TestKeys.assertion(SYSTEM, endpoint, f.rsaKey,
                h -> { }, c -> c.issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(120)))));

        TokenTest.assertTokenError(wallClock, 401, "invalid_client", "client-assertion:jwt-bearer:invalid-assertion");
        assertThat(simulatorTime.status()).as(simulatorTime.body()).isEqualTo(200);
    }

    @Test
    void lets_a_throttled_refresh_through_once_the_window_has_passed() {
        f = Fixture.start();
        f.sim.settings(SANDBOX).refreshThrottleSeconds = 60;
        String refresh = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch offline_access")).json().path("refresh_token").asText();
        assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);
        f.sim.clock().advance(Duration.ofSeconds(59));
        assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(429);

        f.sim.clock().advance(Duration.ofSeconds(2));

        assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);
        assertThat(f.sim.refreshCount(refresh)).isEqualTo(2);
    }

    @Test
    void is_read_and_advanced_through_the_admin_api() {
        f = Fixture.start();
        Browser browser = new Browser();
        String url = f.sim.baseUrl() + "/admin/clock";

        Browser.Reply read = browser.get(url);
        Browser.Reply advanced = browser.send("POST", url, "{\"advanceSeconds\": 90}", "Content-Type", "application/json");

        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().path("offsetSeconds").asDouble()).isZero();
        assertThat(Instant.parse(read.json().path("now").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(advanced.status()).isEqualTo(200);
        assertThat(advanced.json().path("offsetSeconds").asDouble()).isEqualTo(90.0);
        assertThat(Instant.parse(advanced.json().path("now").asText())).isAfter(Instant.now().plusSeconds(89));
        assertThat(f.sim.clock().offset()).isEqualTo(Duration.ofSeconds(90));
        for (String bad : new String[] {"{\"advanceSeconds\": -5}", "{}", "{\"advanceSeconds\": \"soon\"}", "not json"}) {
            assertThat(browser.send("POST", url, bad, "Content-Type", "application/json").status()).as(bad).isEqualTo(400);
        }
        assertThat(browser.send("DELETE", url, null).status()).isEqualTo(405);
        assertThat(f.sim.clock().offset()).isEqualTo(Duration.ofSeconds(90));
        assertThat(f.sim.requestLog().entries()).noneMatch(e -> e.path().startsWith("/admin"));
    }

    JWTClaimsSet idToken() throws Exception {
        return SignedJWT.parse(f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch openid fhirUser")).json().path("id_token").asText())
                .getJWTClaimsSet();
    }
}
