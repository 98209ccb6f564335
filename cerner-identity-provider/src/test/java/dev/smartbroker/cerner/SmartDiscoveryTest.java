package dev.smartbroker.cerner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SmartDiscoveryTest {

    private static final String TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    private static final String AS = "https://authorization.cerner.com/tenants/" + TENANT;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SmartDiscovery discovery = new SmartDiscovery(60_000, Set.of("authorization.cerner.com"));
    private final CernerIdentityProviderConfig production = CernerIdentityProviderConfigTest.config(Map.of());
    private final FhirBaseUrl base = production.fhirBaseUrl().orElseThrow();

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
                    AS + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token"));
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
            assertThatThrownBy(() -> SmartDiscovery.fromWellKnown(JSON.readTree("{\"issuer\":\"x\"}")))
                    .isInstanceOf(CernerException.class).hasMessageContaining("token_endpoint missing");
            assertThatThrownBy(() -> SmartDiscovery.fromMetadata(JSON.readTree("{\"resourceType\":\"CapabilityStatement\",\"rest\":[{\"security\":{\"cors\":true}}]}")))
                    .isInstanceOf(CernerException.class).hasMessageContaining("oauth-uris");
        }
    }

    @Nested
    class Accepts_only_endpoints_of_the_same_tenant {

        @Test
        void accepts_cerner_authorization_server_endpoints_of_the_tenant() throws Exception {
            SmartConfiguration c = SmartDiscovery.fromWellKnown(wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    AS + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token"));
            discovery.validate(c, base, production);
        }

        @Test
        void rejects_another_tenant_s_token_endpoint() throws Exception {
            SmartConfiguration c = SmartDiscovery.fromWellKnown(wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    "https://authorization.cerner.com/tenants/other-tenant/protocols/oauth2/profiles/smart-v1/token"));
            assertThatThrownBy(() -> discovery.validate(c, base, production))
                    .isInstanceOf(CernerException.class).hasMessageContaining("token_endpoint does not belong to tenant " + TENANT);
        }

        @Test
        void rejects_an_untrusted_host() throws Exception {
            SmartConfiguration c = SmartDiscovery.fromWellKnown(wellKnown(
                    "https://evil.example/tenants/" + TENANT + "/authorize", "https://evil.example/tenants/" + TENANT + "/token"));
            assertThatThrownBy(() -> discovery.validate(c, base, production))
                    .isInstanceOf(CernerException.class).hasMessageContaining("neither the FHIR host nor a trusted");
        }

        @Test
        void rejects_http_in_production_and_accepts_it_on_loopback_in_sandbox() throws Exception {
            SmartConfiguration local = new SmartConfiguration("smart-configuration",
                    "http://127.0.0.1:8088/tenants/t1/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    "http://127.0.0.1:8088/tenants/t1/hosts/127.0.0.1:8088/protocols/oauth2/profiles/smart-v1/token",
                    null, "http://127.0.0.1:8088/jwk", List.of("S256"), List.of(), List.of());
            CernerIdentityProviderConfig sandbox = CernerIdentityProviderConfigTest.config(Map.of(
                    CernerIdentityProviderConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t1", CernerIdentityProviderConfig.ENVIRONMENT, "sandbox"));
            discovery.validate(local, sandbox.fhirBaseUrl().orElseThrow(), sandbox);
            CernerIdentityProviderConfig prod = CernerIdentityProviderConfigTest.config(Map.of(
                    CernerIdentityProviderConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t1"));
            assertThatThrownBy(() -> discovery.validate(local, prod.fhirBaseUrl().orElseThrow(), prod))
                    .isInstanceOf(CernerException.class).hasMessageContaining("does not use https");
        }

        @Test
        void rejects_a_jwks_on_an_untrusted_host() throws Exception {
            SmartConfiguration c = new SmartConfiguration("smart-configuration",
                    AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    AS + "/protocols/oauth2/profiles/smart-v1/token", null, "https://keys.evil.example/jwk", List.of(), List.of(), List.of());
            assertThatThrownBy(() -> discovery.validate(c, base, production))
                    .isInstanceOf(CernerException.class).hasMessageContaining("jwks_uri host keys.evil.example");
        }
    }
}
