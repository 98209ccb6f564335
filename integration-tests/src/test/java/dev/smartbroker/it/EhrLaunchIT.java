package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A clinician launches the app from PowerChart and the app's plain OIDC tokens carry the launch. */
@ExtendWith(SmartBrokerEnvironment.class)
class EhrLaunchIT {

    @Test
    void a_launch_gives_the_app_patient_encounter_fhir_user_and_tenant(Environment env) {
        Browser browser = new Browser();
        Launches.Launched launch = new Launches(env).launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);

        String fhirBase = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
        JsonNode id = launch.tokens().idTokenClaims();
        assertThat(id.path("patient").asText()).isEqualTo("12724065");
        assertThat(id.path("encounter").asText()).isEqualTo("97953483");
        assertThat(id.path("fhirUser").asText()).isEqualTo(fhirBase + "/Practitioner/12742069");
        assertThat(id.path("tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);
        assertThat(id.path("fhir_base").asText()).isEqualTo(fhirBase);
        JsonNode access = launch.tokens().accessTokenClaims();
        assertThat(access.path("patient").asText()).isEqualTo("12724065");
        assertThat(access.path("smart_launch").asText()).isNotBlank();
        JsonNode response = launch.tokens().json();
        assertThat(response.path("patient").asText()).isEqualTo("12724065");
        assertThat(response.path("encounter").asText()).isEqualTo("97953483");
        assertThat(response.path("need_patient_banner").asBoolean()).isTrue();
        assertThat(response.path("smart_style_url").asText()).isEqualTo(env.simulator().baseUrl() + "/styles/smart-v1.json");
    }
}
