package dev.smartbroker.smart.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.models.KeyManager;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

class SessionSealerTest {

    private final KeycloakSession session = mock(KeycloakSession.class);
    private final KeyManager keys = mock(KeyManager.class);
    private final RealmModel realm = mock(RealmModel.class);

    @BeforeEach
    void realmWithOneAesKey() {
        when(session.keys()).thenReturn(keys);
        when(realm.getName()).thenReturn("smart");
        KeyWrapper key = aes("kid-1", 1);
        when(keys.getActiveKey(realm, KeyUse.ENC, Algorithm.AES)).thenReturn(key);
        when(keys.getKey(eq(realm), eq("kid-1"), eq(KeyUse.ENC), eq(Algorithm.AES))).thenReturn(key);
    }

    static KeyWrapper aes(String kid, int seed) {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * seed + 7);
        }
        KeyWrapper key = new KeyWrapper();
        key.setKid(kid);
        key.setAlgorithm(Algorithm.AES);
        key.setUse(KeyUse.ENC);
        key.setSecretKey(new SecretKeySpec(bytes, "AES"));
        return key;
    }

    @Test
    void seals_so_that_the_plaintext_is_not_readable() {
        String sealed = SessionSealer.seal(session, realm, "{\"at\":\"cerner-access-token\"}", "realm|client|launch|tokens");
        assertThat(sealed).startsWith("v2.kid-1.").doesNotContain("cerner-access-token");
        assertThat(SessionSealer.open(session, realm, sealed, "realm|client|launch|tokens")).contains("{\"at\":\"cerner-access-token\"}");
    }

    @Test
    void a_value_moved_to_another_client_session_or_launch_does_not_open() {
        String sealed = SessionSealer.seal(session, realm, "secret", "realm|client-a|launch-1|tokens");
        assertThat(SessionSealer.open(session, realm, sealed, "realm|client-b|launch-1|tokens")).isEmpty();
        assertThat(SessionSealer.open(session, realm, sealed, "realm|client-a|launch-2|tokens")).isEmpty();
    }

    @Test
    void tampered_or_malformed_values_do_not_open() {
        String sealed = SessionSealer.seal(session, realm, "secret", "aad");
        String tampered = sealed.substring(0, sealed.length() - 2) + (sealed.endsWith("A") ? "BB" : "AA");
        assertThat(SessionSealer.open(session, realm, tampered, "aad")).isEmpty();
        assertThat(SessionSealer.open(session, realm, "v1.kid-1.x", "aad")).isEmpty();
        assertThat(SessionSealer.open(session, realm, "plain text", "aad")).isEmpty();
        assertThat(SessionSealer.open(session, realm, null, "aad")).isEmpty();
    }

    @Test
    void values_sealed_before_compression_still_open() throws Exception {
        String v1 = uncompressedV1("kid-1", "{\"at\":\"cerner-access-token\"}", "realm|client|launch|tokens");
        assertThat(SessionSealer.open(session, realm, v1, "realm|client|launch|tokens")).contains("{\"at\":\"cerner-access-token\"}");
        assertThat(SessionSealer.open(session, realm, v1, "realm|client|launch|context")).isEmpty();
    }

    @Test
    void the_format_version_is_authenticated() {
        String sealed = SessionSealer.seal(session, realm, "secret", "aad");
        assertThat(SessionSealer.open(session, realm, "v1" + sealed.substring(2), "aad")).isEmpty();
        assertThat(SessionSealer.open(session, realm, "v3" + sealed.substring(2), "aad")).isEmpty();
    }

    @Test
    void a_launch_value_is_stored_compressed() throws Exception {
        String tokens = "{\"at\":\"" + "eyJ6aXAiOiJERUYiLCJraWQiOiIyMDI1LTAxLTIwVDAyOjQwOjMwLjU2MS5vY3QiLCJjdHkiOiJKV1QiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"
                + "..q83HXy4bfsYUQm7Ttq4a7Q.Zr3Vd0N5s8v2Q1x7mJk0pLwXyT4bH6nC9eR2uA5iO8lK3jM1gF7dS0aZ6xV4cB2nQ9wE5rT8yU1iP3oA6sD0fG"
                + "\",\"scope\":\"launch openid fhirUser online_access user/Patient.read user/Observation.read patient/Patient.read\","
                + "\"fhir_base\":\"https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d\","
                + "\"fhir_user\":\"https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d/Practitioner/12742069\"}";
        String sealed = SessionSealer.seal(session, realm, tokens, "aad");
        assertThat(sealed.length()).isLessThan(uncompressedV1("kid-1", tokens, "aad").length() * 9 / 10);
        assertThat(SessionSealer.open(session, realm, sealed, "aad")).contains(tokens);
    }

    /** A value as the first format sealed it: AES-GCM of the plain text, associated data without the version. */
    private static String uncompressedV1(String kid, String plaintext, String associatedData) throws Exception {
        byte[] iv = new byte[12];
        javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, aes(kid, 1).getSecretKey(), new javax.crypto.spec.GCMParameterSpec(128, iv));
        cipher.updateAAD(associatedData.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] ciphertext = cipher.doFinal(plaintext.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return "v1." + kid + "." + org.keycloak.common.util.Base64Url.encode(iv) + "." + org.keycloak.common.util.Base64Url.encode(ciphertext);
    }

    @Test
    void values_sealed_with_a_retired_key_do_not_open() {
        String sealed = SessionSealer.seal(session, realm, "secret", "aad");
        when(keys.getKey(eq(realm), eq("kid-1"), any(), any())).thenReturn(null);
        assertThat(SessionSealer.open(session, realm, sealed, "aad")).isEmpty();
    }

    @Test
    void a_realm_without_an_aes_key_is_a_clear_configuration_error() {
        when(keys.getActiveKey(realm, KeyUse.ENC, Algorithm.AES)).thenReturn(null);
        assertThatThrownBy(() -> SessionSealer.seal(session, realm, "secret", "aad"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("aes-generated");
    }
}
