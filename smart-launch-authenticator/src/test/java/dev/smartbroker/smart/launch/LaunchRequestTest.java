package dev.smartbroker.smart.launch;

import static dev.smartbroker.smart.launch.LaunchRequest.Verdict.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.Tenants;
import org.junit.jupiter.api.Test;

class LaunchRequestTest {

    private static final String ISS = "https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d";
    private static final Tenants.Resolution OURS = new Tenants.Resolution(Optional.of(new Tenants.Tenant("cerner-sandbox", "cerner",
            "ec2458f2-1e24-41c8-b71b-0e701af7583d", FhirBaseUrl.parse(ISS).orElseThrow(), true, "sandbox", Set.of())), List.of());
    private static final Tenants.Resolution NONE = new Tenants.Resolution(Optional.empty(), List.of());
    private static final Tenants.Resolution TWO = new Tenants.Resolution(Optional.empty(), List.of("a", "b"));
    private static final List<String> NO_FORWARDERS = List.of();
    private static final List<String> PARTNER = List.of("partner-oidc");

    @Test
    void a_request_without_launch_parameters_is_not_a_launch() {
        assertThat(LaunchRequest.classify(null, null, false, null, NO_FORWARDERS)).isEqualTo(NOT_OURS);
    }

    @Test
    void iss_of_a_tenant_is_ours_and_must_come_with_launch() {
        assertThat(LaunchRequest.classify(ISS, "L1", false, OURS, PARTNER)).isEqualTo(TENANT);
        assertThat(LaunchRequest.classify(ISS, null, false, OURS, PARTNER)).isEqualTo(MISSING_PARAMETERS);
        assertThat(LaunchRequest.classify(ISS, "L1", false, TWO, PARTNER)).isEqualTo(AMBIGUOUS);
    }

    @Test
    void an_app_that_names_another_provider_keeps_its_parameters_for_it() {
        assertThat(LaunchRequest.classify(ISS, "L1", true, null, NO_FORWARDERS)).isEqualTo(NOT_OURS);
        assertThat(LaunchRequest.classify(null, "L1", true, null, NO_FORWARDERS)).isEqualTo(NOT_OURS);
    }

    @Test
    void parameters_no_tenant_claims_belong_to_a_provider_that_forwards_them() {
        assertThat(LaunchRequest.classify(null, "L1", false, null, PARTNER)).isEqualTo(NOT_OURS);
        assertThat(LaunchRequest.classify("https://other.example/fhir", "L1", false, NONE, PARTNER)).isEqualTo(NOT_OURS);
    }

    @Test
    void without_such_a_provider_they_are_a_broken_or_foreign_launch_and_refused() {
        assertThat(LaunchRequest.classify(null, "L1", false, null, NO_FORWARDERS)).isEqualTo(MISSING_PARAMETERS);
        assertThat(LaunchRequest.classify("https://attacker.example/fhir", null, false, NONE, NO_FORWARDERS)).isEqualTo(MISSING_PARAMETERS);
        assertThat(LaunchRequest.classify("https://attacker.example/fhir", "L1", false, NONE, NO_FORWARDERS)).isEqualTo(UNKNOWN_TENANT);
    }
}
