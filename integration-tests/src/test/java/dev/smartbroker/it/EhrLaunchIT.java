package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.LoggedRequest;
import org.junit.jupiter.api.Nested;
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
        assertThat(id.path("given_name").asText()).isEqualTo("Portal");
        JsonNode access = launch.tokens().accessTokenClaims();
        assertThat(access.path("patient").asText()).isEqualTo("12724065");
        assertThat(access.path("encounter").asText()).isEqualTo("97953483");
        assertThat(access.path("fhirUser").asText()).isEqualTo(fhirBase + "/Practitioner/12742069");
        assertThat(access.path("smart_launch").asText()).isNotBlank();
        JsonNode response = launch.tokens().json();
        assertThat(response.path("patient").asText()).isEqualTo("12724065");
        assertThat(response.path("encounter").asText()).isEqualTo("97953483");
        assertThat(response.path("need_patient_banner").asBoolean()).isTrue();
        assertThat(response.path("smart_style_url").asText()).isEqualTo(env.simulator().baseUrl() + "/styles/smart-v1.json");
    }

    @Test
    void userinfo_and_introspection_carry_the_launch_of_the_token(Environment env) {
        // The shipped smart-launch-context scope puts the app into its own tokens' audience, as introspection requires.
        Launches.Launched launch = new Launches(env).launch(new Browser(), Environment.SANDBOX_TENANT, "NANCY", Launches.Binding.HANDLE);
        JsonNode userinfo = launch.client().userinfo(launch.tokens().accessToken());
        assertThat(userinfo.path("patient").asText()).isEqualTo("12724066");
        assertThat(userinfo.path("tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);
        JsonNode introspection = launch.client().introspect(launch.tokens().accessToken());
        assertThat(introspection.path("active").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.path("patient").asText()).isEqualTo("12724066");
        assertThat(launch.tokens().accessTokenClaims().path("aud").toString()).contains(Launches.APP);
    }

    @Test
    void the_clinician_becomes_a_federated_user_keyed_by_tenant_and_fhir_user_without_any_page_of_ours(Environment env) {
        Browser browser = new Browser();
        new Launches(env).launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);

        JsonNode users = env.admin().get("/realms/smart/users?username=cerner-sandbox.practitioner.12742069&exact=true").json();
        assertThat(users).hasSize(1);
        JsonNode user = users.get(0);
        assertThat(user.path("firstName").asText()).isEqualTo("Portal");
        assertThat(user.path("lastName").asText()).isEqualTo("Portal");
        JsonNode links = env.admin().get("/realms/smart/users/" + user.path("id").asText() + "/federated-identity").json();
        assertThat(links).anySatisfy(link -> {
            assertThat(link.path("identityProvider").asText()).isEqualTo(Environment.SANDBOX_IDP);
            assertThat(link.path("userId").asText()).isEqualTo(Environment.SANDBOX_TENANT + "/Practitioner/12742069");
        });
        // Every Keycloak answer on the way was a redirect: no review-profile form, no page of ours.
        List<Browser.Page> keycloakPages = browser.history().stream()
                .filter(p -> p.url().startsWith(env.keycloak().url()) && !p.isRedirect()).toList();
        assertThat(keycloakPages).as("Keycloak pages shown to the clinician").isEmpty();
    }

    @Test
    void a_clinician_whose_id_token_has_no_name_is_named_from_the_practitioner_resource(Environment env) {
        Launches launches = new Launches(env);
        launches.launch(new Browser(), Environment.NORTHWIND_TENANT, "NANCY", Launches.Binding.HANDLE);
        String userPath = "/realms/smart/users/" + env.admin()
                .get("/realms/smart/users?username=cerner-northwind.practitioner.12742069&exact=true").json().get(0).path("id").asText();
        env.admin().update(userPath, user -> user.put("firstName", "Stale").put("lastName", "Name"));
        env.simulator().settings(Environment.NORTHWIND_TENANT).idTokenName = false;
        try {
            Instant start = Instant.now();
            launches.launch(new Browser(), Environment.NORTHWIND_TENANT, "NANCY", Launches.Binding.HANDLE);

            // The tenant syncs names on every login (syncMode FORCE): they now come from Practitioner/12742069.
            JsonNode user = env.admin().get(userPath).json();
            assertThat(user.path("firstName").asText()).isEqualTo("Portal");
            assertThat(user.path("lastName").asText()).isEqualTo("Portal");
            assertThat(env.simulator().requestLog().entries()).anySatisfy(r -> {
                assertThat(r.at()).isAfterOrEqualTo(start);
                assertThat(r.endpoint()).isEqualTo(Endpoint.FHIR);
                assertThat(r.path()).isEqualTo("/r4/" + Environment.NORTHWIND_TENANT + "/Practitioner/12742069");
                assertThat(r.status()).isEqualTo(200);
            });
        } finally {
            env.simulator().settings(Environment.NORTHWIND_TENANT).idTokenName = true;
        }
    }

    @Test
    void the_signed_jwt_tenant_authenticates_with_a_realm_key_that_the_simulator_verified(Environment env) {
        Instant start = Instant.now();
        Launches.Launched launch = new Launches(env).launch(new Browser(), Environment.NORTHWIND_TENANT, "HAILEY", Launches.Binding.HANDLE);
        assertThat(launch.tokens().idTokenClaims().path("patient").asText()).isEqualTo("12724068");
        assertThat(launch.tokens().idTokenClaims().path("tenant").asText()).isEqualTo(Environment.NORTHWIND_TENANT);
        // The simulator fetched the realm's Cerner JWKS to check the assertion of the code exchange.
        assertThat(env.simulator().requestLog().outbound())
                .anySatisfy(f -> assertThat(f.url()).isEqualTo(env.realmUrl() + "/cerner/jwks"));
        assertThat(tokenCalls(env, start, Environment.NORTHWIND_TENANT)).singleElement()
                .satisfies(r -> {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.clientId()).isEqualTo(Environment.BROKER_JWT_CLIENT_ID);
                });
    }

    @Test
    void the_app_s_authorization_request_sends_the_browser_straight_to_the_tenant_s_authorize_endpoint(Environment env) {
        Launches launches = new Launches(env);
        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
        OidcClient app = launches.app();
        OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_launch", handle));

        // One redirect, not two: no stop at Keycloak's broker login endpoint on the way.
        Browser.Page toCerner = browser.get(request.url());
        assertThat(toCerner.isRedirect()).as(toCerner.toString()).isTrue();
        assertThat(toCerner.location()).startsWith(env.simulator().authorizationEndpoint(Environment.SANDBOX_TENANT) + "?");
        Map<String, String> query = Browser.query(toCerner.location());
        assertThat(query).containsKeys("state", "code_challenge", "launch")
                .containsEntry("aud", env.simulator().fhirBase(Environment.SANDBOX_TENANT))
                .containsEntry("redirect_uri", env.realmUrl() + "/broker/" + Environment.SANDBOX_IDP + "/endpoint");

        // The state is bound to this login as through Keycloak's own redirector: the callback accepts it.
        Browser.Page back = CernerPages.signInAndAllow(browser, toCerner, "portal", "portal", l -> l.startsWith(app.redirectUri()));
        OidcClient.TokenResponse tokens = app.exchange(request, back.location());
        assertThat(tokens.idTokenClaims().path("patient").asText()).isEqualTo("12724065");
    }

    @Test
    void after_warm_up_a_launch_costs_one_back_channel_call_the_code_exchange(Environment env) {
        Launches launches = new Launches(env);
        launches.launch(new Browser(), Environment.SANDBOX_TENANT, "TIMMY", Launches.Binding.HANDLE);
        Instant start = Instant.now();
        launches.launch(new Browser(), Environment.SANDBOX_TENANT, "TIMMY", Launches.Binding.HANDLE);
        List<LoggedRequest> backChannel = env.simulator().requestLog().backChannel().stream()
                .filter(r -> !r.at().isBefore(start)).toList();
        assertThat(backChannel).singleElement().satisfies(r -> {
            assertThat(r.endpoint()).isEqualTo(Endpoint.TOKEN);
            assertThat(r.grantType()).isEqualTo("authorization_code");
        });
    }

    @Nested
    class How_the_app_login_finds_its_launch {

        @Test
        void an_app_that_forwards_nothing_gets_its_launch_through_the_launch_cookie(Environment env) {
            Launches.Launched launch = new Launches(env).launch(new Browser(), Environment.SANDBOX_TENANT, "JOE", Launches.Binding.COOKIE);
            assertThat(launch.tokens().idTokenClaims().path("patient").asText()).isEqualTo("12724067");
        }

        @Test
        void an_app_that_hosts_its_own_launch_uri_forwards_iss_and_launch(Environment env) {
            Browser browser = new Browser();
            Launches launches = new Launches(env);
            String launchUri = dev.smartbroker.it.support.PowerChart.launch(browser, env, Environment.SANDBOX_TENANT, "WILMA",
                    Environment.BROKER_CLIENT_ID).location();
            Map<String, String> smart = Browser.query(launchUri);
            OidcClient app = launches.app();
            OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("iss", smart.get("iss"), "launch", smart.get("launch")));
            Browser.Page back = CernerPages.signInAndAllow(browser, browser.get(request.url()), "portal", "portal",
                    l -> l.startsWith(app.redirectUri()));
            OidcClient.TokenResponse tokens = app.exchange(request, back.location());
            assertThat(tokens.idTokenClaims().path("patient").asText()).isEqualTo("12724065");
        }

        @Test
        void a_login_without_a_launch_carries_no_patient(Environment env) {
            Browser browser = new Browser();
            Launches launches = new Launches(env);
            launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
            // Later the same app signs in again through SSO, without a launch.
            OidcClient app = launches.app();
            OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of());
            Browser.Page back = browser.follow(browser.get(request.url()), l -> l.startsWith(app.redirectUri()));
            OidcClient.TokenResponse tokens = app.exchange(request, back.location());
            assertThat(tokens.idTokenClaims().has("patient")).isFalse();
            assertThat(tokens.accessTokenClaims().has("patient")).isFalse();
            assertThat(tokens.accessTokenClaims().has("smart_launch")).isFalse();
            assertThat(tokens.json().has("patient")).isFalse();
        }
    }

    @Test
    void a_successful_launch_is_recorded_as_identity_provider_and_login_events(Environment env) {
        Instant start = Instant.now();
        new Launches(env).launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        JsonNode login = Events.await(env, start, "LOGIN", e -> "sample-app".equals(e.path("clientId").asText())
                && Environment.SANDBOX_IDP.equals(e.path("details").path("identity_provider").asText()));
        assertThat(login.toString()).doesNotContain("12724065");
        JsonNode exchange = Events.await(env, start, "CODE_TO_TOKEN", e -> "sample-app".equals(e.path("clientId").asText()));
        assertThat(exchange.toString()).doesNotContain("12724065");
    }

    static List<LoggedRequest> tokenCalls(Environment env, Instant since, String tenant) {
        return env.simulator().requestLog().entries().stream()
                .filter(r -> !r.at().isBefore(since) && r.endpoint() == Endpoint.TOKEN && tenant.equals(r.tenant())).toList();
    }
}
