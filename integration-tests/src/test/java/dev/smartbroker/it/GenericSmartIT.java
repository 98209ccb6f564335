package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.Json;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The generic SMART profile against the simulator's generic dialect (docs/ehr/smart-app-launch.md): endpoints outside
 * any {@code /tenants/} path, the FHIR base as issuer, an id_token without {@code kid}, a relative {@code fhirUser},
 * {@code client_secret_post}, {@code offline_access}, a new refresh token on every refresh, no revocation endpoint.
 * The tenant is registered through the admin REST API with provider type {@code smart}, as an admin would.
 */
@ExtendWith(SmartBrokerEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenericSmartIT {

    static final String TENANT_ID = "northbay";
    static final String JOB = "population-health-job";
    static final String JOB_SECRET = "population-health-secret";

    private final Environment env;
    private final Launches launches;
    private TenantOverride tenant;

    GenericSmartIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    static Map<String, String> config(Environment env) {
        Map<String, String> config = new HashMap<>();
        config.put("fhirBaseUrl", env.simulator().fhirBase(Environment.GENERIC_TENANT));
        config.put("environment", "sandbox");
        config.put("tenantId", TENANT_ID);
        config.put("clientId", Environment.GENERIC_CLIENT_ID);
        config.put("clientSecret", Environment.GENERIC_CLIENT_SECRET);
        config.put("clientAuthentication", "client_secret_post");
        config.put("smartScopes", "openid fhirUser profile user/Patient.read user/Encounter.read user/Observation.read");
        config.put("accessType", "offline");
        config.put("systemAccountClientId", Environment.GENERIC_SYSTEM_CLIENT_ID);
        config.put("backendServicesGrants", JOB + ": system/Patient.read system/Observation.read");
        config.put("syncMode", "FORCE");
        return config;
    }

    // Registered once for the class: clinicians' accounts stay linked to it across the tests.
    @BeforeAll
    void register() {
        tenant = TenantOverride.register(env, "smart", Environment.GENERIC_IDP, config(env));
    }

    @AfterAll
    void remove() {
        tenant.close();
    }

    private Launches.Launched launch(String patient) {
        return launch(new Browser(), patient);
    }

    private Launches.Launched launch(Browser browser, String patient) {
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.GENERIC_TENANT, patient, Environment.GENERIC_CLIENT_ID));
        return launches.login(browser, handle, Launches.Binding.HANDLE, "portal", "portal");
    }

    @Test
    void an_ehr_launch_gives_the_app_its_patient_the_absolute_fhir_user_and_the_configured_tenant() {
        Instant start = Instant.now();
        Browser browser = new Browser();
        Launches.Launched launch = launch(browser, "WILMA");
        String fhirBase = env.simulator().fhirBase(Environment.GENERIC_TENANT);
        for (JsonNode claims : new JsonNode[] {launch.tokens().idTokenClaims(), launch.tokens().accessTokenClaims(),
                launch.client().userinfo(launch.tokens().accessToken())}) {
            assertThat(claims.path("patient").asText()).as(claims.toString()).isEqualTo("12724065");
            assertThat(claims.path("encounter").asText()).isEqualTo("97953483");
            // The EHR sent "Practitioner/12742069"; the broker resolved it against the FHIR base (iss).
            assertThat(claims.path("fhirUser").asText()).isEqualTo(fhirBase + "/Practitioner/12742069");
            assertThat(claims.path("tenant").asText()).isEqualTo(TENANT_ID);
            assertThat(claims.path("fhir_base").asText()).isEqualTo(fhirBase);
        }
        assertThat(launch.tokens().json().path("patient").asText()).isEqualTo("12724065");

        // The standard dialect, spoken as such: endpoints outside /tenants/, nonce, PKCE, aud = iss, offline_access.
        String authorizeUrl = browser.history().stream().map(Browser.Page::url)
                .filter(u -> u.startsWith(env.simulator().authorizationEndpoint(Environment.GENERIC_TENANT))).findFirst().orElseThrow();
        assertThat(authorizeUrl).doesNotContain("/tenants/");
        Map<String, String> query = Browser.query(authorizeUrl);
        assertThat(query).containsEntry("aud", fhirBase).containsKey("nonce").containsEntry("code_challenge_method", "S256")
                .containsEntry("client_id", Environment.GENERIC_CLIENT_ID);
        assertThat(query.get("scope")).contains("launch", "offline_access");
        assertThat(env.simulator().requestLog().entries()).anySatisfy(r -> {
            assertThat(r.at()).isAfterOrEqualTo(start);
            assertThat(r.endpoint()).isEqualTo(Endpoint.TOKEN);
            assertThat(r.grantType()).isEqualTo("authorization_code");
            assertThat(r.clientId()).isEqualTo(Environment.GENERIC_CLIENT_ID);
            assertThat(r.status()).isEqualTo(200);
        });

        // The clinician is a federated user keyed by the configured tenant id, not the last segment of iss ("fhir").
        JsonNode users = env.admin().get("/realms/smart/users?username=" + Environment.GENERIC_IDP + ".practitioner.12742069&exact=true").json();
        assertThat(users).hasSize(1);
        JsonNode links = env.admin().get("/realms/smart/users/" + users.get(0).path("id").asText() + "/federated-identity").json();
        assertThat(links).anySatisfy(link -> assertThat(link.path("userId").asText()).isEqualTo(TENANT_ID + "/Practitioner/12742069"));
        Events.await(env, start, "LOGIN", e -> Environment.GENERIC_IDP.equals(e.path("details").path("identity_provider").asText())
                && TENANT_ID.equals(e.path("details").path("smart_tenant").asText()));
    }

    @Test
    void the_launch_token_api_serves_the_generic_tenant_s_token_under_the_neutral_path() {
        Launches.Launched launch = launch("NANCY");
        Http.Reply reply = Http.get(env.realmUrl() + "/smart/launch-token", launch.tokens().accessToken());
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonNode token = reply.json();
        assertThat(token.path("patient").asText()).isEqualTo("12724066");
        assertThat(token.path("tenant").asText()).isEqualTo(TENANT_ID);
        assertThat(token.path("fhir_base").asText()).isEqualTo(env.simulator().fhirBase(Environment.GENERIC_TENANT));
        Http.Reply patient = Http.get(token.path("fhir_base").asText() + "/Patient/12724066", token.path("access_token").asText());
        assertThat(patient.status()).as(patient.body()).isEqualTo(200);
        assertThat(Json.parse(patient.body()).path("id").asText()).isEqualTo("12724066");
    }

    @Test
    void backend_services_get_a_system_token_signed_for_with_a_realm_key_from_the_neutral_jwks() {
        Instant start = Instant.now();
        Http.Reply reply = Http.postForm(env.realmUrl() + "/smart/system-token",
                Map.of("tenant", Environment.GENERIC_IDP, "scope", "system/Patient.read"), JOB, JOB_SECRET);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.json().path("scope").asText()).isEqualTo("system/Patient.read");
        Http.Reply patient = Http.get(env.simulator().fhirBase(Environment.GENERIC_TENANT) + "/Patient/12724065",
                reply.json().path("access_token").asText());
        assertThat(patient.status()).as(patient.body()).isEqualTo(200);
        // The EHR fetched the realm's /smart/jwks to check the assertion.
        assertThat(env.simulator().requestLog().outbound())
                .anySatisfy(r -> {
                    assertThat(r.at()).isAfterOrEqualTo(start);
                    assertThat(r.url()).isEqualTo(env.realmUrl() + "/smart/jwks");
                });
        // A scope the tenant does not grant the job is refused before any upstream call.
        Http.Reply refused = Http.postForm(env.realmUrl() + "/smart/system-token",
                Map.of("tenant", Environment.GENERIC_IDP, "scope", "system/Encounter.read"), JOB, JOB_SECRET);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("error").asText()).isEqualTo("invalid_scope");
    }
}
