package dev.smartbroker.cerner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.discovery.SmartDiscovery;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CernerProfileTest {

    private static final String TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    private static final String AS = "https://authorization.cerner.com/tenants/" + TENANT;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CernerProfile profile = CernerIdentityProviderConfigTest.PROFILE;
    private final SmartTenantConfig production = CernerIdentityProviderConfigTest.config(Map.of());
    private final FhirBaseUrl base = production.fhirBaseUrl().orElseThrow();

    // Shape of docs/ehr/cerner.md §1.3 (newer live capture).
    static SmartConfiguration wellKnown(String authorize, String token) throws Exception {
        JsonNode doc = JSON.readTree("""
                {"issuer":"%s","authorization_endpoint":"%s","token_endpoint":"%s",
                 "revocation_endpoint":"%s/protocols/oauth2/profiles/smart-v1/token/revoke",
                 "jwks_uri":"https://authorization.cerner.com/jwk",
                 "token_endpoint_auth_methods_supported":["client_secret_basic","private_key_jwt"],
                 "token_endpoint_auth_signing_alg_values_supported":["RS384","ES384"],
                 "code_challenge_methods_supported":["S256"],
                 "capabilities":["launch-ehr","client-confidential-symmetric"]}
                """.formatted(AS, authorize, token, AS));
        return SmartDiscovery.fromWellKnown(doc, false);
    }

    private SmartConfiguration tenantEndpoints() throws Exception {
        return wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                AS + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token");
    }

    @Nested
    class Accepts_only_endpoints_of_the_same_tenant {


        @Test
        void accepts_cerner_authorization_server_endpoints_of_the_tenant() throws Exception {
            SmartConfiguration c = wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    AS + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token");
            profile.checkEndpoints(c, base, production);
        }

        @Test
        void rejects_another_tenant_s_token_endpoint() throws Exception {
            SmartConfiguration c = wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    "https://authorization.cerner.com/tenants/other-tenant/protocols/oauth2/profiles/smart-v1/token");
            assertThatThrownBy(() -> profile.checkEndpoints(c, base, production))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("token_endpoint does not belong to tenant " + TENANT);
        }

        @Test
        void rejects_an_untrusted_host() throws Exception {
            SmartConfiguration c = wellKnown(
                    "https://evil.example/tenants/" + TENANT + "/authorize", "https://evil.example/tenants/" + TENANT + "/token");
            assertThatThrownBy(() -> profile.checkEndpoints(c, base, production))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("neither the FHIR host nor one of the tenant's authorization hosts");
        }

        @Test
        void rejects_http_in_production_and_accepts_it_on_loopback_in_sandbox() throws Exception {
            SmartConfiguration local = new SmartConfiguration("smart-configuration", null,
                    "http://127.0.0.1:8088/tenants/t1/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    "http://127.0.0.1:8088/tenants/t1/hosts/127.0.0.1:8088/protocols/oauth2/profiles/smart-v1/token",
                    null, "http://127.0.0.1:8088/jwk", List.of("S256"), List.of(), List.of());
            SmartTenantConfig sandbox = CernerIdentityProviderConfigTest.config(Map.of(
                    SmartTenantConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t1", SmartTenantConfig.ENVIRONMENT, "sandbox"));
            profile.checkEndpoints(local, sandbox.fhirBaseUrl().orElseThrow(), sandbox);
            SmartTenantConfig prod = CernerIdentityProviderConfigTest.config(Map.of(
                    SmartTenantConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t1"));
            assertThatThrownBy(() -> profile.checkEndpoints(local, prod.fhirBaseUrl().orElseThrow(), prod))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("does not use https");
        }

        @Test
        void rejects_a_jwks_on_an_untrusted_host() throws Exception {
            SmartConfiguration c = new SmartConfiguration("smart-configuration", null,
                    AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                    AS + "/protocols/oauth2/profiles/smart-v1/token", null, "https://keys.evil.example/jwk", List.of(), List.of(), List.of());
            assertThatThrownBy(() -> profile.checkEndpoints(c, base, production))
                    .isInstanceOf(UpstreamException.class).hasMessageContaining("jwks_uri host keys.evil.example");
        }
    }

    @Test
    void names_the_tenant_by_the_last_segment_of_the_fhir_base() {
        assertThat(production.tenantId()).isEqualTo(TENANT);
    }

    @Test
    void accepts_only_id_tokens_from_an_identity_provider_of_the_tenant() throws Exception {
        SmartConfiguration c = tenantEndpoints();
        assertThat(profile.acceptsIssuer(AS + "/oidc/idsps/abc-123/", production, c, base)).isTrue();
        assertThat(profile.acceptsIssuer(AS + "/oidc/idsps/abc-123", production, c, base)).as("no trailing slash").isFalse();
        assertThat(profile.acceptsIssuer(AS + "/oidc/idsps/a/b/", production, c, base)).isFalse();
        assertThat(profile.acceptsIssuer("https://authorization.cerner.com/tenants/other/oidc/idsps/abc/", production, c, base)).isFalse();
        assertThat(profile.acceptsIssuer("https://evil.example/tenants/" + TENANT + "/oidc/idsps/abc/", production, c, base)).isFalse();
        assertThat(profile.acceptsIssuer(null, production, c, base)).isFalse();
        assertThat(production.getIssuer()).as("Keycloak's own equality check stays off").isNull();
    }

    @Test
    void refuses_authorize_and_token_endpoints_on_different_hosts() throws Exception {
        SmartConfiguration c = wellKnown(AS + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                "https://fhir-ehr-code.cerner.com/tenants/" + TENANT + "/protocols/oauth2/profiles/smart-v1/token");
        assertThatThrownBy(() -> profile.checkEndpoints(c, base, production))
                .isInstanceOf(UpstreamException.class).hasMessageContaining("different hosts");
    }

    @Test
    void reads_the_error_urn_out_of_cerner_s_error_uri() {
        assertThat(profile.errorCode("https://authorization.cerner.com/errors/"
                + "urn%3Acerner%3Aerror%3Aauthorization-server%3Asmart-v1%3Agrant%3Alaunch%3Ainvalid-launch-code"
                + "/instances/5f0?persona=provider&client=c&tenant=t"))
                .isEqualTo("urn:cerner:error:authorization-server:smart-v1:grant:launch:invalid-launch-code");
        assertThat(profile.errorCode("https://example.org/nothing")).isNull();
        assertThat(profile.errorCode(null)).isNull();
    }

    @Test
    void a_reused_or_stale_launch_is_told_apart_from_other_authorize_errors() {
        assertThat(profile.rejectsLaunch("invalid_request", "urn:cerner:error:authorization-server:smart-v1:grant:launch:invalid-launch-code")).isTrue();
        assertThat(profile.rejectsLaunch("invalid_request", "urn:cerner:error:authorization-server:smart-v1:grant:launch:code-required")).isFalse();
        assertThat(profile.rejectsLaunch("invalid_request", null)).isFalse();
    }
}
