package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What an integration engineer needs while setting a tenant up, through admin REST (the admin console shows the same
 * fields): the URLs to register at the EHR, a connection check with advice per step, a save that first checks when
 * asked and refuses a broken tenant, and the defaults every SMART tenant gets whatever the form left out.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class TenantSetupIT {

    private static final String ALIAS = "it-setup";
    private final Environment env;

    TenantSetupIT(Environment env) {
        this.env = env;
    }

    private String tenants() {
        return "/realms/" + env.realm() + "/smart-tenants/";
    }

    private String instances() {
        return "/realms/" + env.realm() + "/identity-provider/instances";
    }

    private KeycloakAdmin.Response create(Map<String, String> config) {
        return env.admin().post(instances(), Map.of("alias", ALIAS, "providerId", "cerner", "enabled", true, "config", config));
    }

    private Map<String, String> testbed(String secret, boolean check) {
        Map<String, String> config = new HashMap<>();
        // As an admin might paste it: upper-case host and a trailing slash.
        config.put("fhirBaseUrl", env.simulator().fhirBase(Environment.SETUP_TENANT).replace("http://", "HTTP://") + "/");
        config.put("environment", "sandbox");
        config.put("clientId", Environment.BROKER_CLIENT_ID);
        config.put("clientSecret", secret);
        config.put("smartScopes", "openid fhirUser user/Patient.read");
        config.put("launchApps", "population-health-job");
        config.put("connectionCheckOnSave", String.valueOf(check));
        return config;
    }

    @AfterEach
    void remove() {
        env.admin().delete(instances() + "/" + ALIAS);
    }

    @Test
    void the_urls_to_register_are_the_realm_s_public_urls() {
        JsonNode sandbox = env.admin().get(tenants() + Environment.SANDBOX_IDP + "/registration").json();
        assertThat(sandbox.path("redirectUri").asText()).isEqualTo(env.realmUrl() + "/broker/" + Environment.SANDBOX_IDP + "/endpoint");
        assertThat(sandbox.path("launchUris").toString()).contains(env.realmUrl() + "/smart-launch/sample-app");
        assertThat(sandbox.path("jwksUrl").asText()).isEqualTo(env.realmUrl() + "/cerner/jwks");
        assertThat(sandbox.path("systemAccountClientId").asText()).isEqualTo(Environment.SYSTEM_ACCOUNT_ID);
        assertThat(env.admin().get(tenants() + "no-such-tenant/registration").status()).isEqualTo(404);
    }

    @Test
    void the_connection_check_of_a_working_tenant_passes_every_step() {
        for (String alias : new String[] {Environment.SANDBOX_IDP, Environment.NORTHWIND_IDP}) {
            JsonNode check = env.admin().post(tenants() + alias + "/connection-check", Map.of()).json();
            assertThat(check.path("ok").asBoolean()).as(check.toString()).isTrue();
            assertThat(check.path("steps").findValuesAsText("step")).contains("discovery", "keys", "client");
        }
        JsonNode sandbox = env.admin().post(tenants() + Environment.SANDBOX_IDP + "/connection-check", Map.of()).json();
        assertThat(sandbox.path("steps").findValuesAsText("step")).contains("backend");
        assertThat(sandbox.toString()).doesNotContain(Environment.BROKER_CLIENT_SECRET);
    }

    @Test
    void saving_with_a_wrong_secret_is_refused_with_code_console_advice_and_nothing_is_stored() {
        KeycloakAdmin.Response refused = create(testbed("not-the-secret", true));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("errorMessage").asText())
                .contains("Connection check failed").contains("Code Console").contains(Environment.BROKER_CLIENT_ID)
                .doesNotContain("not-the-secret");
        assertThat(env.admin().get(instances() + "/" + ALIAS).status()).isEqualTo(404);
    }

    @Test
    void saving_a_working_tenant_stores_the_check_the_urls_and_the_smart_defaults() {
        KeycloakAdmin.Response created = create(testbed(Environment.BROKER_CLIENT_SECRET, true));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode stored = env.admin().get(instances() + "/" + ALIAS).json();
        JsonNode config = stored.path("config");
        assertThat(config.path("connectionCheckResult").asText()).startsWith("OK at ").contains("client ✓");
        assertThat(config.path("registrationLaunchUri").asText()).isEqualTo(env.realmUrl() + "/smart-launch/population-health-job");
        assertThat(config.path("registrationJwksUrl").asText()).isEqualTo(env.realmUrl() + "/cerner/jwks");
        assertThat(config.path("fhirBaseUrl").asText()).isEqualTo(env.simulator().fhirBase(Environment.SETUP_TENANT));
        assertThat(config.path("syncMode").asText()).isEqualTo("FORCE");
        assertThat(stored.path("hideOnLogin").asBoolean()).isTrue();
    }

    @Test
    void a_tenant_whose_ehr_does_not_answer_fails_the_check_at_discovery_with_advice() {
        Map<String, String> config = testbed(Environment.BROKER_CLIENT_SECRET, false);
        config.put("fhirBaseUrl", "http://127.0.0.1:9/r4/nobody-listens");
        config.put("connectTimeoutMillis", "500");
        assertThat(create(config).status()).isEqualTo(201);
        JsonNode check = env.admin().post(tenants() + ALIAS + "/connection-check", Map.of()).json();
        assertThat(check.path("ok").asBoolean()).isFalse();
        assertThat(check.path("steps")).hasSize(1);
        assertThat(check.path("steps").get(0).path("step").asText()).isEqualTo("discovery");
        assertThat(check.path("advice").asText()).contains("FHIR base URL");
    }

    @Test
    void keycloak_s_own_scopes_field_is_refused_with_the_field_to_use() {
        Map<String, String> config = testbed(Environment.BROKER_CLIENT_SECRET, false);
        config.put("defaultScope", "openid profile");
        KeycloakAdmin.Response refused = create(config);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("errorMessage").asText()).contains("SMART scopes");
    }
}
