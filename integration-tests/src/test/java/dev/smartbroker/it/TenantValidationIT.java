package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Saving a tenant refuses what would silently take over another tenant's launches: a second registration of the same
 * FHIR base whose app list overlaps the first's (or either list is empty), and app lists naming clients the realm
 * does not have. Each refusal names what to fix.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class TenantValidationIT {

    private final Environment env;

    TenantValidationIT(Environment env) {
        this.env = env;
    }

    private Map<String, String> tenant(String fhirBase, String launchApps) {
        Map<String, String> config = new HashMap<>(Map.of("fhirBaseUrl", fhirBase, "environment", "sandbox",
                "clientId", "it-registration", "clientSecret", "s", "smartScopes", "openid fhirUser user/Patient.read"));
        if (launchApps != null) {
            config.put("launchApps", launchApps);
        }
        return config;
    }

    private KeycloakAdmin.Response create(String alias, Map<String, String> config) {
        return env.admin().post("/realms/smart/identity-provider/instances", Map.of("alias", alias, "providerId", "cerner",
                "enabled", true, "hideOnLogin", true, "config", config));
    }

    @Test
    void a_second_registration_of_a_tenant_that_serves_every_app_is_refused_with_the_other_tenants_name() {
        String sandbox = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
        KeycloakAdmin.Response takeover = create("it-takeover", tenant(sandbox, null));
        assertThat(takeover.status()).isEqualTo(400);
        assertThat(takeover.json().path("errorMessage").asText()).contains("'" + Environment.SANDBOX_IDP + "'", "every app");

        // A trailing slash and upper case do not make it another tenant.
        KeycloakAdmin.Response spelled = create("it-takeover", tenant(sandbox.replace("http://", "HTTP://") + "/", "sample-app"));
        assertThat(spelled.status()).isEqualTo(400);
        assertThat(env.admin().get("/realms/smart/identity-provider/instances/it-takeover").status()).isEqualTo(404);
    }

    @Test
    void registrations_of_one_tenant_with_disjoint_app_lists_are_accepted_and_an_overlap_is_not() {
        String testbed = env.simulator().fhirBase(Environment.TESTBED_TENANT);
        try (TenantOverride first = TenantOverride.register(env, "it-registration-a", tenant(testbed, "sample-app"));
             TenantOverride second = TenantOverride.register(env, "it-registration-b", tenant(testbed, "population-health-job"))) {
            KeycloakAdmin.Response overlap = create("it-registration-c", tenant(testbed, "population-health-job"));
            assertThat(overlap.status()).isEqualTo(400);
            assertThat(overlap.json().path("errorMessage").asText()).contains("'it-registration-b'", "population-health-job");
            KeycloakAdmin.Response everyApp = create("it-registration-c", tenant(testbed, null));
            assertThat(everyApp.status()).isEqualTo(400);
            assertThat(everyApp.json().path("errorMessage").asText()).contains("'it-registration-a'");
        }
    }

    @Test
    void an_app_list_naming_a_client_the_realm_does_not_have_is_refused() {
        KeycloakAdmin.Response typo = create("it-typo", tenant(env.simulator().fhirBase(Environment.TESTBED_TENANT), "sampel-app"));
        assertThat(typo.status()).isEqualTo(400);
        assertThat(typo.json().path("errorMessage").asText()).contains("'sampel-app' is not a client of realm smart");
    }

    @Test
    void editing_a_tenant_keeps_it_valid_against_itself() {
        try (TenantOverride edited = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("readTimeoutMillis", "9000"))) {
            assertThat(env.admin().get("/realms/smart/identity-provider/instances/" + Environment.SANDBOX_IDP).json()
                    .path("config").path("readTimeoutMillis").asText()).isEqualTo("9000");
        }
    }
}
