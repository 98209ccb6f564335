package dev.smartbroker.smart.idp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PractitionerNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"launch openid fhirUser user/Practitioner.read", "user/Practitioner.rs", "user/Practitioner.r",
            "user/Practitioner.cruds", "openid  user/Practitioner.read  "})
    void a_granted_practitioner_read_allows_the_lookup(String scope) {
        assertThat(PractitionerNames.scopeAllowsRead(scope)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"launch openid fhirUser user/Patient.read", "patient/Practitioner.read", "user/Practitioner.write",
            "user/Practitioner.s", "user/Practitioner.", "user/Practitioner.rx", "user/Practitioner.sr", "user/PractitionerRole.read", ""})
    void anything_else_does_not(String scope) {
        assertThat(PractitionerNames.scopeAllowsRead(scope)).isFalse();
        assertThat(PractitionerNames.scopeAllowsRead(null)).isFalse();
    }

    @Test
    void takes_the_official_name_with_every_given_name() {
        // The shape of Cerner's sandbox Practitioner 4122622 (docs/ehr/cerner.md §7), with an official name added.
        String json = """
                {"resourceType":"Practitioner","id":"4122622","name":[
                 {"use":"usual","text":"Cerner Test, Physician - Hospitalist Cerner","family":"Cerner Test","given":["Physician - Hospitalist","Cerner"]},
                 {"use":"official","family":"Test","given":["Hospitalist"]}]}""";

        assertThat(PractitionerNames.parse(json)).isEqualTo(new PractitionerNames.Name("Hospitalist", "Test"));
    }

    @Test
    void falls_back_to_the_usual_name_then_the_first_then_its_text() {
        assertThat(PractitionerNames.parse("""
                {"resourceType":"Practitioner","name":[{"use":"usual","family":"Cerner Test","given":["Physician - Hospitalist","Cerner"]}]}"""))
                .isEqualTo(new PractitionerNames.Name("Physician - Hospitalist Cerner", "Cerner Test"));
        assertThat(PractitionerNames.parse("""
                {"resourceType":"Practitioner","name":[{"family":"Portal","given":["Portal"]}]}"""))
                .isEqualTo(new PractitionerNames.Name("Portal", "Portal"));
        assertThat(PractitionerNames.parse("""
                {"resourceType":"Practitioner","name":[{"text":"Dr Nobody"}]}"""))
                .isEqualTo(new PractitionerNames.Name(null, "Dr Nobody"));
    }

    @Test
    void names_nobody_for_anything_else() {
        assertThat(PractitionerNames.parse("{\"resourceType\":\"Practitioner\"}")).isNull();
        assertThat(PractitionerNames.parse("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"SMART\"}]}")).isNull();
        assertThat(PractitionerNames.parse("{\"resourceType\":\"OperationOutcome\"}")).isNull();
        assertThat(PractitionerNames.parse("not json")).isNull();
    }
}
