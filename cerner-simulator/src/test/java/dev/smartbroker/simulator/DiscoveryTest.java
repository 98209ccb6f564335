package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static org.assertj.core.api.Assertions.assertThat;

/** Discovery, CapabilityStatement, OIDC configuration, JWKS and the error page, per tenant (docs/ehr/cerner.md §1, §7). */
class DiscoveryTest {

    static Fixture f;
    final Browser browser = new Browser();

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        for (String tenant : List.of(SANDBOX, NORTHWIND)) {
            f.sim.settings(tenant).update(new TenantSettings());
        }
    }

    @Nested
    class Smart_configuration {

        @ParameterizedTest
        @ValueSource(strings = {SANDBOX, NORTHWIND})
        void names_the_tenant_scoped_endpoints_with_the_hosts_token_path(String tenant) {
            Browser.Reply reply = browser.get(f.sim.fhirBase(tenant) + "/.well-known/smart-configuration");

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Content-Type")).startsWith("application/json");
            JsonNode doc = reply.json();
            String base = f.sim.baseUrl();
            String host = base.substring("http://".length());
            assertThat(doc.path("issuer").asText()).isEqualTo(base + "/tenants/" + tenant);
            assertThat(doc.path("authorization_endpoint").asText())
                    .isEqualTo(base + "/tenants/" + tenant + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize");
            assertThat(doc.path("token_endpoint").asText())
                    .isEqualTo(base + "/tenants/" + tenant + "/hosts/" + host + "/protocols/oauth2/profiles/smart-v1/token")
                    .isEqualTo(f.sim.tokenEndpoint(tenant));
            assertThat(doc.path("revocation_endpoint").asText())
                    .isEqualTo(base + "/tenants/" + tenant + "/protocols/oauth2/profiles/smart-v1/token/revoke");
            assertThat(doc.path("jwks_uri").asText()).isEqualTo(base + "/jwk");
            assertThat(doc.path("management_endpoint").asText()).isEqualTo(base + "/tenants/" + tenant + "/personas/provider/my-authorizations");
            assertThat(doc.path("introspection_endpoint").asText()).isEqualTo(base + "/tokeninfo");
            assertThat(strings(doc.path("token_endpoint_auth_methods_supported"))).containsExactly("client_secret_basic", "private_key_jwt");
            assertThat(strings(doc.path("token_endpoint_auth_signing_alg_values_supported"))).containsExactly("RS384", "ES384");
            assertThat(strings(doc.path("grant_types_supported"))).containsExactly("authorization_code", "client_credentials");
            assertThat(strings(doc.path("response_types_supported"))).containsExactly("code");
            assertThat(strings(doc.path("scopes_supported"))).contains("launch", "openid", "fhirUser", "online_access", "offline_access",
                    "user/Patient.read", "patient/Observation.read", "system/Patient.read", "user/Patient.crus").doesNotContain("launch/patient");
            assertThat(strings(doc.path("capabilities"))).contains("authorize-post", "launch-ehr", "client-public",
                    "client-confidential-symmetric", "client-confidential-asymmetric", "sso-openid-connect", "context-banner",
                    "context-style", "context-ehr-patient", "context-ehr-encounter", "permission-v1", "permission-v2");
            assertThat(strings(doc.path("code_challenge_methods_supported"))).containsExactly("S256");
        }

        @Test
        void leaves_out_code_challenge_methods_when_the_tenant_does_not_advertise_pkce() {
            f.sim.settings(NORTHWIND).advertisePkce = false;

            JsonNode northwind = browser.get(f.sim.fhirBase(NORTHWIND) + "/.well-known/smart-configuration").json();
            JsonNode sandbox = browser.get(f.sim.fhirBase(SANDBOX) + "/.well-known/smart-configuration").json();

            assertThat(northwind.has("code_challenge_methods_supported")).isFalse();
            assertThat(sandbox.has("code_challenge_methods_supported")).isTrue();
        }

        @Test
        void answers_404_when_the_tenant_serves_no_well_known_so_clients_fall_back_to_metadata() {
            f.sim.settings(SANDBOX).serveWellKnown = false;

            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/.well-known/smart-configuration").status()).isEqualTo(404);
            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(200);
        }

        @Test
        void is_not_served_for_an_unknown_tenant() {
            Browser.Reply reply = browser.get(f.sim.baseUrl() + "/r4/nope/.well-known/smart-configuration");

            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.json().path("issue").get(0).path("diagnostics").asText()).isEqualTo("Tenant not valid or accessible");
        }
    }

    @Nested
    class Metadata {

        @ParameterizedTest
        @ValueSource(strings = {SANDBOX, NORTHWIND})
        void carries_the_oauth_uris_extension_without_authentication(String tenant) {
            Browser.Reply reply = browser.get(f.sim.fhirBase(tenant) + "/metadata", "Accept", "application/fhir+json");

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Content-Type")).startsWith("application/fhir+json");
            JsonNode cs = reply.json();
            assertThat(cs.path("resourceType").asText()).isEqualTo("CapabilityStatement");
            assertThat(cs.path("fhirVersion").asText()).isEqualTo("4.0.1");
            assertThat(cs.path("kind").asText()).isEqualTo("instance");
            assertThat(cs.path("implementation").path("url").asText()).isEqualTo(f.sim.fhirBase(tenant));
            JsonNode security = cs.path("rest").get(0).path("security");
            assertThat(security.path("cors").asBoolean()).isTrue();
            assertThat(security.path("service").get(0).path("coding").get(0).path("code").asText()).isEqualTo("SMART-on-FHIR");
            JsonNode ext = security.path("extension").get(0);
            assertThat(ext.path("url").asText()).isEqualTo("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
            List<String> names = new ArrayList<>();
            ext.path("extension").forEach(e -> names.add(e.path("url").asText() + "=" + e.path("valueUri").asText()));
            assertThat(names).containsExactly(
                    "token=" + f.sim.tokenEndpoint(tenant),
                    "revoke=" + f.sim.revocationEndpoint(tenant),
                    "authorize=" + f.sim.authorizationEndpoint(tenant),
                    "manage=" + f.sim.baseUrl() + "/tenants/" + tenant + "/personas/provider/my-authorizations",
                    "introspect=" + f.sim.baseUrl() + "/tokeninfo");
            assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo("*");
        }

        @Test
        void answers_an_xml_accept_with_406_and_no_body() {
            Browser.Reply reply = browser.get(f.sim.fhirBase(SANDBOX) + "/metadata", "Accept", "application/fhir+xml");

            assertThat(reply.status()).isEqualTo(406);
            assertThat(reply.body()).isEmpty();
        }
    }

    @Nested
    class Openid_configuration {

        @ParameterizedTest
        @ValueSource(strings = {SANDBOX, NORTHWIND})
        void lives_under_the_id_token_issuer_which_differs_from_the_discovery_issuer(String tenant) {
            String iss = f.sim.baseUrl() + "/tenants/" + tenant + "/oidc/idsps/" + tenant + "/";
            assertThat(f.sim.oidcIssuer(tenant)).isEqualTo(iss);

            Browser.Reply reply = browser.get(iss + ".well-known/openid-configuration");

            assertThat(reply.status()).isEqualTo(200);
            JsonNode doc = reply.json();
            assertThat(doc.path("issuer").asText()).isEqualTo(iss);
            // Cerner's document names the issuer as authorize and token endpoint (§7).
            assertThat(doc.path("authorization_endpoint").asText()).isEqualTo(iss);
            assertThat(doc.path("token_endpoint").asText()).isEqualTo(iss);
            assertThat(doc.path("jwks_uri").asText()).isEqualTo(f.sim.baseUrl() + "/jwk");
            assertThat(strings(doc.path("id_token_signing_alg_values_supported"))).containsExactly("RS256");
            assertThat(strings(doc.path("subject_types_supported"))).containsExactly("public");
            assertThat(doc.path("request_uri_parameter_supported").asBoolean()).isTrue();
        }

        @Test
        void is_not_served_at_the_tenant_root_as_at_cerner() {
            assertThat(browser.get(f.sim.baseUrl() + "/tenants/" + SANDBOX + "/.well-known/openid-configuration").status()).isEqualTo(404);
            assertThat(browser.get(f.sim.baseUrl() + "/.well-known/openid-configuration").status()).isEqualTo(404);
        }
    }

    @Nested
    class Jwk {

        @Test
        void publishes_timestamped_rsa_kids_and_ec_keys_without_alg_or_use() {
            Browser.Reply reply = browser.get(f.sim.baseUrl() + "/jwk");

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Cache-Control")).contains("max-age=");
            List<String> kids = new ArrayList<>();
            reply.json().path("keys").forEach(k -> {
                kids.add(k.path("kid").asText());
                assertThat(k.has("alg")).isFalse();
                assertThat(k.has("use")).isFalse();
                assertThat(k.has("d")).isFalse();
            });
            assertThat(kids).filteredOn(k -> k.endsWith(".rsa")).hasSize(3)
                    .allMatch(k -> k.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\.rsa"))
                    .contains(f.sim.currentSigningKid());
            assertThat(kids).anyMatch(k -> k.endsWith(".ec.es256")).anyMatch(k -> k.endsWith(".ec.es384"));
            List<String> curves = new ArrayList<>();
            reply.json().path("keys").forEach(k -> curves.add(k.path("crv").asText()));
            assertThat(curves).contains("P-256", "P-384");
        }
    }

    @Nested
    class Error_page {

        @Test
        void explains_the_urn_named_in_an_error_uri() {
            String urn = "urn:cerner:error:authorization-server:smart-v1:grant:launch:invalid-launch-code";
            Browser.Reply reply = browser.get(f.sim.baseUrl() + "/errors/" + Browser.enc(urn) + "/instances/"
                    + java.util.UUID.randomUUID() + "?persona=provider&client=test-app&tenant=" + SANDBOX);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Content-Type")).startsWith("text/html");
            assertThat(reply.document().getElementById("urn").text()).isEqualTo(urn);
            assertThat(reply.document().getElementById("explanation").text()).contains("launch");
            assertThat(reply.document().getElementById("client").text()).isEqualTo("test-app");
        }

        @Test
        void escapes_what_it_echoes() {
            Browser.Reply reply = browser.get(f.sim.baseUrl() + "/errors/" + Browser.enc("<script>x</script>") + "/instances/1?client="
                    + Browser.enc("<b>c</b>"));

            assertThat(reply.body()).doesNotContain("<script>x").doesNotContain("<b>c</b>").contains("&lt;script&gt;");
        }
    }

    @Test
    void serves_the_smart_style_document() {
        Browser.Reply reply = browser.get(f.sim.baseUrl() + "/styles/smart-v1.json");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("color_background").asText()).startsWith("#");
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
