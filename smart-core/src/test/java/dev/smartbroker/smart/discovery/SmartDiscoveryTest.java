package dev.smartbroker.smart.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartbroker.smart.http.UpstreamException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SmartDiscoveryTest {

    private static final String TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    private static final String AS = "https://authorization.cerner.com/tenants/" + TENANT;
    private static final ObjectMapper JSON = new ObjectMapper();

    // Shape of docs/ehr/cerner.md §1.3 (newer live capture).
    static JsonNode wellKnown(String authorize, String token) throws Exception {
        return JSON.readTree("""
                {"issuer":"%s","authorization_endpoint":"%s","token_endpoint":"%s",
                 "revocation_endpoint":"%s/protocols/oauth2/profiles/smart-v1/token/revoke",
                 "jwks_uri":"https://authorization.cerner.com/jwk",
                 "token_endpoint_auth_methods_supported":["client_secret_basic","private_key_jwt"],
                 "token_endpoint_auth_signing_alg_values_supported":["RS384","ES384"],
                 "code_challenge_methods_supported":["S256"],
                 "capabilities":["launch-ehr","client-confidential-symmetric"]}
                """.formatted(AS, authorize, token, AS));
    }

    @Nested
    class Parses {

        @Test
        void the_smart_configuration_document() throws Exception {
            SmartConfiguration c = SmartDiscovery.fromWellKnown(wellKnown(
                    AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    AS + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token"), false);
            assertThat(c.source()).isEqualTo("smart-configuration");
            assertThat(c.tokenEndpoint()).endsWith("/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token");
            assertThat(c.revocation()).contains(AS + "/protocols/oauth2/profiles/smart-v1/token/revoke");
            assertThat(c.jwksUri()).isEqualTo("https://authorization.cerner.com/jwk");
            assertThat(c.supportsS256()).isTrue();
            assertThat(c.authSigningAlgs()).containsExactly("RS384", "ES384");
            assertThat(c.authorizationServerOrigin()).isEqualTo("https://authorization.cerner.com");
        }

        @Test
        void the_oauth_uris_extension_of_the_capability_statement() throws Exception {
            // Shape of docs/ehr/cerner.md §1.4.
            JsonNode metadata = JSON.readTree("""
                    {"resourceType":"CapabilityStatement","rest":[{"mode":"server","security":{"extension":[
                      {"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris","extension":[
                        {"url":"token","valueUri":"%1$s/protocols/oauth2/profiles/smart-v1/token"},
                        {"url":"revoke","valueUri":"%1$s/protocols/oauth2/profiles/smart-v1/token/revoke"},
                        {"url":"authorize","valueUri":"%1$s/protocols/oauth2/profiles/smart-v1/personas/provider/authorize"},
                        {"url":"introspect","valueUri":"https://authorization.cerner.com/tokeninfo"}]}]}}]}
                    """.formatted(AS));
            SmartConfiguration c = SmartDiscovery.fromMetadata(metadata);
            assertThat(c.source()).isEqualTo("metadata");
            assertThat(c.authorizationEndpoint()).endsWith("/personas/provider/authorize");
            assertThat(c.tokenEndpoint()).endsWith("/smart-v1/token");
            assertThat(c.jwksUri()).isNull();
            assertThat(c.supportsS256()).isFalse();
        }

        @Test
        void refuses_documents_without_the_endpoints() throws Exception {
            assertThatThrownBy(() -> SmartDiscovery.fromWellKnown(JSON.readTree("{\"issuer\":\"x\"}"), false))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("token_endpoint missing");
            assertThatThrownBy(() -> SmartDiscovery.fromMetadata(JSON.readTree("{\"resourceType\":\"CapabilityStatement\",\"rest\":[{\"security\":{\"cors\":true}}]}")))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("oauth-uris");
        }
    }
}
