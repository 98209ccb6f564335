package dev.smartbroker.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** Rotation of the id_token signing key, and Cerner's sign-before-publish quirk (docs/ehr/cerner.md §2.7). */
class KeyRotationTest {

    Fixture f;

    @BeforeEach
    void start() {
        f = Fixture.start();
    }

    @AfterEach
    void stop() {
        f.close();
    }

    List<String> publishedRsaKids() {
        List<String> kids = new ArrayList<>();
        new Browser().get(f.sim.baseUrl() + "/jwk").json().path("keys").forEach(k -> {
            if (k.path("kty").asText().equals("RSA")) {
                kids.add(k.path("kid").asText());
            }
        });
        return kids;
    }

    SignedJWT idToken() throws Exception {
        return SignedJWT.parse(f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch openid fhirUser")).json().path("id_token").asText());
    }

    @Test
    void a_rotated_key_signs_at_once_and_the_previous_key_stays_published() throws Exception {
        String before = f.sim.currentSigningKid();
        assertThat(idToken().getHeader().getKeyID()).isEqualTo(before);

        f.sim.rotateSigningKey();

        String after = f.sim.currentSigningKid();
        assertThat(after).isNotEqualTo(before).endsWith(".rsa").matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\.rsa");
        assertThat(after.compareTo(before)).isPositive();
        SignedJWT jwt = idToken();
        assertThat(jwt.getHeader().getKeyID()).isEqualTo(after);
        assertThat(publishedRsaKids()).hasSize(3).contains(before, after);
        JWKSet jwks = JWKSet.parse(new Browser().get(f.sim.baseUrl() + "/jwk").body());
        assertThat(jwt.verify(new RSASSAVerifier((RSAKey) jwks.getKeyByKeyId(after)))).isTrue();
    }

    @Test
    void with_a_publish_delay_the_new_kid_signs_before_it_appears_at_jwk() throws Exception {
        f.sim.settings(SANDBOX).keyPublishDelaySeconds = 30;
        String before = f.sim.currentSigningKid();

        f.sim.rotateSigningKey();

        String after = f.sim.currentSigningKid();
        assertThat(idToken().getHeader().getKeyID()).isEqualTo(after);
        assertThat(publishedRsaKids()).contains(before).doesNotContain(after);
        f.sim.clock().advance(Duration.ofSeconds(29));
        assertThat(publishedRsaKids()).doesNotContain(after);
        f.sim.clock().advance(Duration.ofSeconds(1));
        assertThat(publishedRsaKids()).contains(before, after);
    }

    @Test
    void two_quick_rotations_still_get_distinct_sorted_kids() {
        f.sim.rotateSigningKey();
        String first = f.sim.currentSigningKid();
        f.sim.rotateSigningKey();
        String second = f.sim.currentSigningKid();

        assertThat(second.compareTo(first)).isPositive();
        assertThat(publishedRsaKids()).contains(first, second);
    }
}
