package dev.smartbroker.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;

class PendingAuthorizationRequestsTest {

    /** A clock the test moves by hand: ages are tested without waiting. */
    private static final class HandClock extends Clock {

        private Instant now = Instant.parse("2026-01-01T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final HandClock clock = new HandClock();
    private final PendingAuthorizationRequests pending = new PendingAuthorizationRequests(clock, 3, Duration.ofMinutes(10));
    private final MockHttpSession browser = new MockHttpSession();
    private final MockHttpServletResponse response = new MockHttpServletResponse();

    private static OAuth2AuthorizationRequest request(String state) {
        return OAuth2AuthorizationRequest.authorizationCode().authorizationUri("http://127.0.0.1/auth").clientId("sample-app")
                .redirectUri("http://127.0.0.1/login/oauth2/code/keycloak").state(state).build();
    }

    private MockHttpServletRequest callback(String state) {
        MockHttpServletRequest callback = new MockHttpServletRequest("GET", "/login/oauth2/code/keycloak");
        callback.setSession(browser);
        if (state != null) {
            callback.setParameter("state", state);
        }
        return callback;
    }

    private void save(String state) {
        pending.saveAuthorizationRequest(request(state), callback(null), response);
    }

    @Test
    void each_authorization_response_finds_its_own_request_whatever_the_order() {
        save("tab-1");
        save("tab-2");
        assertThat(pending.loadAuthorizationRequest(callback("tab-2")).getState()).isEqualTo("tab-2");
        assertThat(pending.removeAuthorizationRequest(callback("tab-2"), response).getState()).isEqualTo("tab-2");
        assertThat(pending.removeAuthorizationRequest(callback("tab-1"), response).getState()).isEqualTo("tab-1");
    }

    @Test
    void a_request_is_used_once() {
        save("tab-1");
        assertThat(pending.removeAuthorizationRequest(callback("tab-1"), response)).isNotNull();
        assertThat(pending.removeAuthorizationRequest(callback("tab-1"), response)).isNull();
        assertThat(pending.loadAuthorizationRequest(callback("tab-1"))).isNull();
    }

    @Test
    void an_unknown_or_missing_state_finds_nothing() {
        save("tab-1");
        assertThat(pending.loadAuthorizationRequest(callback("forged"))).isNull();
        assertThat(pending.loadAuthorizationRequest(callback(null))).isNull();
        assertThat(pending.removeAuthorizationRequest(callback(null), response)).isNull();
        assertThat(pending.loadAuthorizationRequest(callback("tab-1"))).isNotNull();
    }

    @Test
    void beyond_capacity_the_oldest_request_is_dropped() {
        save("a");
        save("b");
        save("c");
        save("d");
        assertThat(pending.loadAuthorizationRequest(callback("a"))).isNull();
        assertThat(pending.loadAuthorizationRequest(callback("b"))).isNotNull();
        assertThat(pending.loadAuthorizationRequest(callback("d"))).isNotNull();
    }

    @Test
    void a_request_older_than_the_maximum_age_is_gone() {
        save("old");
        clock.advance(Duration.ofMinutes(6));
        save("young");
        clock.advance(Duration.ofMinutes(5));
        assertThat(pending.removeAuthorizationRequest(callback("old"), response)).isNull();
        assertThat(pending.removeAuthorizationRequest(callback("young"), response)).isNotNull();
    }

    @Test
    void saving_nothing_removes_the_request_of_the_callback() {
        save("tab-1");
        pending.saveAuthorizationRequest(null, callback("tab-1"), response);
        assertThat(pending.loadAuthorizationRequest(callback("tab-1"))).isNull();
    }

    @Test
    void looking_up_creates_no_session() {
        MockHttpServletRequest noSession = new MockHttpServletRequest("GET", "/login/oauth2/code/keycloak");
        noSession.setParameter("state", "x");
        assertThat(pending.loadAuthorizationRequest(noSession)).isNull();
        assertThat(pending.removeAuthorizationRequest(noSession, response)).isNull();
        assertThat(noSession.getSession(false)).isNull();
    }
}
