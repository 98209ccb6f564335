package dev.smartbroker.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.JOE;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.TIMMY_ENCOUNTER;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static dev.smartbroker.simulator.Fixture.WILMA_ENCOUNTER;
import static org.assertj.core.api.Assertions.assertThat;

/** FHIR R4 reads and searches with Cerner's auth and error behaviour (docs/ehr/cerner.md §3.3, §5, §7). */
class FhirTest {

    static Fixture f;
    /** user/ scopes of a WILMA launch. */
    static String userToken;
    /** patient/ scopes of a WILMA launch. */
    static String patientToken;
    /** v2 scopes of a WILMA launch. */
    static String v2Token;
    static String systemToken;
    final Browser browser = new Browser();

    @BeforeAll
    static void start() {
        f = Fixture.start();
        userToken = f.launchAccessToken(SANDBOX, WILMA, "launch user/Patient.read user/Observation.read user/Encounter.read user/Practitioner.read");
        patientToken = f.launchAccessToken(SANDBOX, WILMA, "launch patient/Patient.read patient/Observation.read patient/Encounter.read");
        v2Token = f.launchAccessToken(SANDBOX, WILMA, "launch user/Observation.rs user/Patient.rs");
        systemToken = f.systemAccessToken(SANDBOX);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.settings(SANDBOX).update(new TenantSettings());
    }

    Browser.Reply get(String path, String token) {
        return token == null ? browser.get(f.sim.fhirBase(SANDBOX) + path, "Accept", "application/fhir+json")
                : browser.get(f.sim.fhirBase(SANDBOX) + path, "Accept", "application/fhir+json", "Authorization", "Bearer " + token);
    }

    String realm() {
        return f.sim.baseUrl().substring("http://".length());
    }

    void assertForbidden(Browser.Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(403);
        JsonNode issue = reply.json().path("issue").get(0);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(issue.path("severity").asText()).isEqualTo("error");
        assertThat(issue.path("code").asText()).isEqualTo("forbidden");
        assertThat(issue.path("diagnostics").asText()).isEqualTo("Bearer realm=\"" + realm() + "\", error=\"insufficient_scope\"");
        assertThat(issue.path("expression").get(0).asText()).isEqualTo("http.Authorization");
    }

    static List<String> entryIds(JsonNode bundle) {
        List<String> ids = new ArrayList<>();
        bundle.path("entry").forEach(e -> ids.add(e.path("resource").path("resourceType").asText() + "/" + e.path("resource").path("id").asText()));
        return ids;
    }

    @Nested
    class Reads {

        @Test
        void a_patient_in_cerners_style() {
            Browser.Reply reply = get("/Patient/" + JOE, userToken);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Content-Type")).startsWith("application/fhir+json");
            JsonNode p = reply.json();
            assertThat(p.path("resourceType").asText()).isEqualTo("Patient");
            assertThat(p.path("id").asText()).isEqualTo(JOE);
            assertThat(p.path("name").get(0).path("text").asText()).isEqualTo("SMART, JOE");
            assertThat(p.path("name").get(0).path("id").asText()).startsWith("CI-");
            assertThat(p.path("identifier").get(0).path("id").asText()).startsWith("CI-");
            assertThat(p.path("gender").asText()).isEqualTo("male");
            assertThat(p.path("birthDate").asText()).isEqualTo("1976-04-29");
            assertThat(p.path("telecom").get(0).path("rank").isTextual()).as("rank is a string at Cerner").isTrue();
            JsonNode local = p.path("maritalStatus").path("coding").get(0);
            assertThat(local.path("system").asText()).isEqualTo("https://fhir.cerner.com/" + SANDBOX + "/codeSet/38");
            assertThat(local.path("userSelected").asBoolean()).isTrue();
            assertThat(p.path("maritalStatus").path("coding").get(1).path("userSelected").asBoolean()).isFalse();
            assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo("*");
            assertThat(reply.header("Access-Control-Expose-Headers")).contains("WWW-Authenticate");
        }

        @Test
        void the_signed_in_clinicians_practitioner() {
            JsonNode pr = get("/Practitioner/12742069", userToken).json();

            assertThat(pr.path("resourceType").asText()).isEqualTo("Practitioner");
            assertThat(pr.path("name").get(0).path("text").asText()).isEqualTo("Portal, Portal");
            assertThat(get("/Practitioner/4122622", userToken).json().path("name").get(0).path("family").asText()).isEqualTo("Cerner Test");
        }

        @Test
        void an_encounter_and_an_observation_of_the_tenant() {
            JsonNode encounter = get("/Encounter/" + WILMA_ENCOUNTER, userToken).json();
            assertThat(encounter.path("subject").path("reference").asText()).isEqualTo("Patient/" + WILMA);

            JsonNode bundle = get("/Observation?patient=" + WILMA, userToken).json();
            String id = bundle.path("entry").get(0).path("resource").path("id").asText();
            JsonNode observation = get("/Observation/" + id, userToken).json();
            assertThat(observation.path("subject").path("reference").asText()).isEqualTo("Patient/" + WILMA);
            assertThat(observation.path("code").path("coding").get(0).path("system").asText()).contains("/codeSet/");
        }

        @Test
        void answers_404_for_an_unknown_id() {
            Browser.Reply reply = get("/Patient/999", userToken);

            assertThat(reply.status()).isEqualTo(404);
            assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
            assertThat(reply.json().path("issue").get(0).path("code").asText()).isEqualTo("not-found");
        }

        @Test
        void answers_406_with_an_empty_body_for_xml() {
            Browser.Reply reply = browser.get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA, "Accept", "application/xml",
                    "Authorization", "Bearer " + userToken);

            assertThat(reply.status()).isEqualTo(406);
            assertThat(reply.body()).isEmpty();
        }

        @Test
        void serves_the_same_chart_in_the_other_tenant_with_that_tenants_code_sets() {
            String token = f.launchAccessToken(NORTHWIND, WILMA, "launch user/Patient.read");

            JsonNode p = browser.get(f.sim.fhirBase(NORTHWIND) + "/Patient/" + WILMA, "Authorization", "Bearer " + token).json();

            assertThat(p.path("maritalStatus").path("coding").get(0).path("system").asText())
                    .isEqualTo("https://fhir.cerner.com/" + NORTHWIND + "/codeSet/38");
        }

        @Test
        void are_the_only_method() {
            Browser.Reply reply = browser.send("POST", f.sim.fhirBase(SANDBOX) + "/Patient", "{}", "Authorization", "Bearer " + userToken,
                    "Content-Type", "application/fhir+json");

            assertThat(reply.status()).isEqualTo(405);
        }
    }

    @Nested
    class Searches {

        @Test
        void observations_and_encounters_of_a_patient_as_a_searchset() {
            JsonNode observations = get("/Observation?patient=" + WILMA, userToken).json();
            JsonNode encounters = get("/Encounter?patient=" + WILMA, userToken).json();

            assertThat(observations.path("resourceType").asText()).isEqualTo("Bundle");
            assertThat(observations.path("type").asText()).isEqualTo("searchset");
            assertThat(observations.path("total").asInt()).isEqualTo(3);
            assertThat(entryIds(observations)).allMatch(id -> id.startsWith("Observation/"));
            assertThat(observations.path("entry").get(0).path("fullUrl").asText()).startsWith(f.sim.fhirBase(SANDBOX) + "/Observation/");
            assertThat(entryIds(encounters)).containsExactly("Encounter/" + WILMA_ENCOUNTER);
        }

        @Test
        void patients_by_a_supported_parameter() {
            assertThat(entryIds(get("/Patient?family=SMART&given=JOE", userToken).json())).containsExactly("Patient/" + JOE);
            assertThat(entryIds(get("/Patient?name=smart", userToken).json())).hasSize(5);
            assertThat(entryIds(get("/Patient?_id=" + WILMA, userToken).json())).containsExactly("Patient/" + WILMA);
        }

        @Test
        void refuses_a_patient_search_without_supported_parameters() {
            for (String query : List.of("/Patient", "/Patient?_count=10", "/Observation", "/Encounter?status=finished")) {
                Browser.Reply reply = get(query, userToken);
                assertThat(reply.status()).as(query).isEqualTo(400);
                assertThat(reply.json().path("issue").get(0).path("diagnostics").asText()).isEqualTo("no supported search parameters provided");
            }
        }
    }

    @Nested
    class Authentication {

        @Test
        void a_missing_token_gets_401_with_a_bearer_challenge() {
            Browser.Reply reply = get("/Patient/" + WILMA, null);

            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + realm() + "\", error=\"invalid_token\"");
            assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        }

        @Test
        void an_unknown_token_gets_401() {
            assertThat(get("/Patient/" + WILMA, "not-a-token").status()).isEqualTo(401);
            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA, "Authorization", "Basic eDp5").status()).isEqualTo(401);
        }

        @Test
        void an_expired_token_gets_401() {
            f.sim.settings(SANDBOX).accessTokenLifetimeSeconds = 10;
            String token = f.systemAccessToken(SANDBOX);
            f.sim.clock().advance(Duration.ofSeconds(9));
            assertThat(get("/Patient/" + WILMA, token).status()).as("within its lifetime").isEqualTo(200);

            f.sim.clock().advance(Duration.ofSeconds(2));
            Browser.Reply reply = get("/Patient/" + WILMA, token);

            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.header("WWW-Authenticate")).contains("error=\"invalid_token\"");
        }

        @Test
        void a_token_of_another_tenant_gets_401_tenant_mismatch() {
            String northwind = f.systemAccessToken(NORTHWIND);

            Browser.Reply reply = get("/Patient/" + WILMA, northwind);

            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.header("WWW-Authenticate")).contains("error=\"invalid_token\"").contains("tenant-mismatch");
            assertThat(reply.json().path("issue").get(0).path("diagnostics").asText()).isEqualTo("tenant-mismatch");
        }
    }

    @Nested
    class Scopes {

        @Test
        void a_type_outside_the_granted_scopes_gets_403_insufficient_scope() {
            String patientOnly = f.launchAccessToken(SANDBOX, WILMA, "launch user/Patient.read");

            assertForbidden(get("/Observation?patient=" + WILMA, patientOnly));
            assertForbidden(get("/Encounter/" + WILMA_ENCOUNTER, patientOnly));
            assertThat(get("/Patient/" + WILMA, patientOnly).status()).isEqualTo(200);
        }

        @Test
        void patient_scopes_reach_only_the_launch_patients_compartment() {
            assertThat(get("/Patient/" + WILMA, patientToken).status()).isEqualTo(200);
            assertThat(get("/Observation?patient=" + WILMA, patientToken).status()).isEqualTo(200);
            assertThat(get("/Encounter/" + WILMA_ENCOUNTER, patientToken).status()).isEqualTo(200);

            assertForbidden(get("/Patient/" + JOE, patientToken));
            assertForbidden(get("/Observation?patient=" + JOE, patientToken));
            assertForbidden(get("/Encounter/" + TIMMY_ENCOUNTER, patientToken));
            assertForbidden(get("/Practitioner/12742069", patientToken));
            assertThat(entryIds(get("/Patient?name=SMART", patientToken).json())).containsExactly("Patient/" + WILMA);
        }

        @Test
        void user_scopes_reach_every_patient() {
            assertThat(get("/Patient/" + JOE, userToken).status()).isEqualTo(200);
            assertThat(get("/Observation?patient=" + JOE, userToken).status()).isEqualTo(200);
        }

        @Test
        void v2_scopes_grant_the_rights_they_spell() {
            assertThat(get("/Observation?patient=" + JOE, v2Token).status()).isEqualTo(200);
            assertThat(get("/Patient/" + JOE, v2Token).status()).isEqualTo(200);
            assertForbidden(get("/Encounter?patient=" + JOE, v2Token));
        }

        @Test
        void system_scopes_reach_what_they_name() {
            assertThat(get("/Patient/" + JOE, systemToken).status()).isEqualTo(200);
            assertThat(get("/Encounter/" + TIMMY_ENCOUNTER, systemToken).status()).isEqualTo(200);
            assertThat(get("/Observation?patient=" + JOE, systemToken).status()).isEqualTo(200);
            assertForbidden(get("/Practitioner/12742069", systemToken));
        }

        @Test
        void v2_rights_are_read_in_cruds_order_and_write_never_reads() {
            assertThat(FhirServer.allowed(token("user/Observation.r"), "Observation", 'r', WILMA)).isTrue();
            assertThat(FhirServer.allowed(token("user/Observation.r"), "Observation", 's', WILMA)).isFalse();
            assertThat(FhirServer.allowed(token("user/Observation.cruds"), "Observation", 's', WILMA)).isTrue();
            assertThat(FhirServer.allowed(token("user/Observation.sr"), "Observation", 'r', WILMA)).isFalse();
            assertThat(FhirServer.allowed(token("user/Observation.cud"), "Observation", 'r', WILMA)).isFalse();
            assertThat(FhirServer.allowed(token("user/Observation.write"), "Observation", 'r', WILMA)).isFalse();
            assertThat(FhirServer.allowed(token("user/Observation.read"), "Patient", 'r', WILMA)).isFalse();
        }

        State.AccessToken token(String scope) {
            return new State.AccessToken("t", SANDBOX, "c", Set.of(scope), WILMA, null, null, Instant.MAX);
        }
    }
}
