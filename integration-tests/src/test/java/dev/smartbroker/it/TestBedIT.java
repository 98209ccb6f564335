package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The test bed itself: Keycloak runs with our jars, the realm export imported, and reaches the simulator. */
@ExtendWith(SmartBrokerEnvironment.class)
class TestBedIT {

    @Test
    void keycloak_lists_our_providers_in_server_info(Environment env) {
        JsonNode info = env.admin().get("/serverinfo").json();
        JsonNode providers = info.path("providers");
        assertThat(providers.path("identity_provider").path("providers").has("cerner")).isTrue();
        assertThat(providers.path("realm-restapi-extension").path("providers").has("smart-launch")).isTrue();
        assertThat(providers.path("realm-restapi-extension").path("providers").has("cerner")).isTrue();
        assertThat(providers.path("authenticator").path("providers").has("smart-ehr-launch")).isTrue();
        assertThat(providers.path("protocol-mapper").path("providers").has("smart-launch-context-mapper")).isTrue();
        assertThat(providers.path("token-interceptor").path("providers").has("smart-launch-binding")).isTrue();
        JsonNode cernerInfo = providers.path("identity_provider").path("providers").path("cerner").path("operationalInfo");
        assertThat(cernerInfo.path("version").asText()).isEqualTo("0.1.0-SNAPSHOT");
        assertThat(cernerInfo.path("trusted-authorization-hosts").asText()).contains("authorization.cerner.com");
        assertThat(providers.path("realm-restapi-extension").path("providers").path("cerner").path("operationalInfo")
                .path("jwks-max-age-seconds").asText()).isEqualTo(String.valueOf(Environment.JWKS_MAX_AGE_SECONDS));
        List<String> loginThemes = new ArrayList<>();
        info.path("themes").path("login").forEach(t -> loginThemes.add(t.path("name").asText()));
        assertThat(loginThemes).contains("smart");
    }

    @Test
    void the_realm_export_is_imported_with_its_tenants_flows_and_scopes(Environment env) {
        JsonNode realm = env.admin().get("/realms/smart").json();
        assertThat(realm.path("browserFlow").asText()).isEqualTo("smart browser");
        assertThat(realm.path("loginTheme").asText()).isEqualTo("smart");
        JsonNode sandbox = env.admin().get("/realms/smart/identity-provider/instances/" + Environment.SANDBOX_IDP).json();
        assertThat(sandbox.path("providerId").asText()).isEqualTo("cerner");
        assertThat(sandbox.path("config").path("fhirBaseUrl").asText())
                .isEqualTo(env.simulator().fhirBase(Environment.SANDBOX_TENANT));
        JsonNode northwind = env.admin().get("/realms/smart/identity-provider/instances/" + Environment.NORTHWIND_IDP).json();
        assertThat(northwind.path("config").path("clientAuthentication").asText()).isEqualTo("private_key_jwt");
        List<String> scopes = new ArrayList<>();
        env.admin().get("/realms/smart/client-scopes").json().forEach(s -> scopes.add(s.path("name").asText()));
        assertThat(scopes).contains("smart-launch-context", "cerner-launch-token", "profile", "email");
    }

    @Test
    void the_cerner_provider_type_declares_every_field_an_admin_needs(Environment env) {
        JsonNode type = env.admin().get("/realms/master/identity-provider/providers/cerner").json();
        List<String> fields = new ArrayList<>();
        type.path("configProperties").forEach(p -> fields.add(p.path("name").asText()));
        assertThat(fields).contains("fhirBaseUrl", "environment", "clientAuthentication", "assertionAlgorithm", "smartScopes",
                "smartVersion", "accessType", "pkceMode", "connectTimeoutMillis", "readTimeoutMillis", "launchApps",
                "systemAccountClientId", "backendServicesGrants", "systemTokenCache", "minRefreshIntervalSeconds");
        type.path("configProperties").forEach(p -> assertThat(p.path("helpText").asText()).as(p.path("name").asText()).isNotBlank());
    }

    @Test
    void keycloak_discovers_a_newly_registered_tenant_from_the_simulator(Environment env) {
        String iss = env.simulator().fhirBase(Environment.TESTBED_TENANT);
        try (TenantOverride registered = TenantOverride.register(env, "it-testbed", Map.of("fhirBaseUrl", iss,
                "environment", "sandbox", "clientId", Environment.BROKER_CLIENT_ID, "clientSecret", Environment.BROKER_CLIENT_SECRET,
                "smartScopes", "openid fhirUser user/Patient.read"))) {
            Launches launches = new Launches(env);
            Browser browser = new Browser();
            String handle = launches.handleOf(browser.get(env.realmUrl() + "/smart-launch/sample-app?iss=" + iss + "&launch=L-testbed"));
            Browser.Page toCerner = browser.follow(browser.get(launches.app().authorizationRequest(Map.of("kc_launch", handle)).url()),
                    location -> location.startsWith(env.simulator().baseUrl()));

            // Keycloak read the tenant's discovery document (this test never asks for it) and sent the browser to the
            // authorization endpoint it names, with the launch and the tenant as audience.
            List<LoggedRequest> discovery = env.simulator().requestLog().entries().stream()
                    .filter(r -> Environment.TESTBED_TENANT.equals(r.tenant()) && r.endpoint() == Endpoint.DISCOVERY).toList();
            assertThat(discovery).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(200));
            assertThat(toCerner.location()).startsWith(env.simulator().authorizationEndpoint(Environment.TESTBED_TENANT) + "?");
            Map<String, String> authorize = Browser.query(toCerner.location());
            assertThat(authorize).containsEntry("aud", iss).containsEntry("launch", "L-testbed")
                    .containsEntry("client_id", Environment.BROKER_CLIENT_ID);
        }
    }

    @Test
    void the_realm_publishes_its_cerner_assertion_keys_with_a_cache_lifetime(Environment env) throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(env.realmUrl() + "/cerner/jwks")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Cache-Control").orElse(""))
                .contains("max-age=" + Environment.JWKS_MAX_AGE_SECONDS);
        List<String> algorithms = new ArrayList<>();
        JsonNode keys = dev.smartbroker.it.support.Json.parse(response.body()).path("keys");
        keys.forEach(k -> {
            algorithms.add(k.path("alg").asText());
            assertThat(k.path("kid").asText()).isNotBlank();
            assertThat(k.path("use").asText()).isEqualTo("sig");
            assertThat(k.path("kty").asText()).isIn("RSA", "EC");
        });
        assertThat(algorithms).containsExactlyInAnyOrder("RS384", "ES384");
    }
}
