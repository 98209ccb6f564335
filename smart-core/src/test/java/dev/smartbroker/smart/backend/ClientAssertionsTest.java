package dev.smartbroker.smart.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.keycloak.common.util.Time;
import org.keycloak.representations.JsonWebToken;

class ClientAssertionsTest {

    private static final String TOKEN_URL = "https://authorization.cerner.com/tenants/t/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token";

    @Test
    void follows_smart_backend_services() {
        long now = Time.currentTimeSeconds();
        JsonWebToken jwt = ClientAssertions.claims("system-account-1", TOKEN_URL, 120);
        assertThat(jwt.getIssuer()).isEqualTo("system-account-1");
        assertThat(jwt.getSubject()).isEqualTo("system-account-1");
        assertThat(jwt.getAudience()).containsExactly(TOKEN_URL);
        assertThat(jwt.getExp()).isBetween(now + 119, now + 121);
        assertThat(jwt.getIat()).isBetween(now - 1, now + 1);
        assertThat(jwt.getId()).isNotBlank();
    }

    @Test
    void never_expires_more_than_five_minutes_ahead_and_never_repeats_a_jti() {
        long now = Time.currentTimeSeconds();
        JsonWebToken a = ClientAssertions.claims("c", TOKEN_URL, 3600);
        JsonWebToken b = ClientAssertions.claims("c", TOKEN_URL, 3600);
        assertThat(a.getExp()).isLessThanOrEqualTo(now + 301);
        assertThat(a.getId()).isNotEqualTo(b.getId());
    }
}
