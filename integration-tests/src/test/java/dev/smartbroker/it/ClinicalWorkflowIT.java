package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.KeycloakDatabase;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A clinician who opens an app from the EHR always gets into it as themself, with this launch's patient, whatever the
 * browser did before: shared ward workstations, a second hospital in one browser, first launches at the same moment.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class ClinicalWorkflowIT {

    private static final String WILMA = "12724065";
    private static final String TIMMY = "12724069";
    private static final String PORTAL = "Practitioner/12742069";
    private static final String NURSE = "Practitioner/4122622";

    private final Environment env;
    private final Launches launches;

    ClinicalWorkflowIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @Nested
    class A_shared_workstation {

        @Test
        void the_next_clinician_gets_in_as_themself_and_the_previous_session_ends(Environment env) {
            Browser workstation = new Browser();
            Launches.Launched portal = launches.launch(workstation, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
            String portalSession = portal.tokens().accessTokenClaims().path("sid").asText();
            String portalUser = portal.tokens().accessTokenClaims().path("sub").asText();

            // The clinician leaves; the next one signs in to the EHR on the same workstation and launches.
            env.simulator().endEhrSession("portal");
            Instant switched = Instant.now();
            String handle = launches.handleOf(launches.openLaunchUri(workstation, Environment.SANDBOX_TENANT, "TIMMY",
                    Environment.BROKER_CLIENT_ID));
            Launches.Launched nurse = launches.login(workstation, handle, Launches.Binding.HANDLE, "nurse", "nurse");

            assertThat(LaunchIsolationIT.patients(nurse.tokens())).containsOnly(TIMMY);
            assertThat(nurse.tokens().idTokenClaims().path("fhirUser").asText()).endsWith(NURSE);
            assertThat(nurse.tokens().accessTokenClaims().path("sid").asText()).isNotEqualTo(portalSession);
            assertThat(nurse.tokens().accessTokenClaims().path("sub").asText()).isNotEqualTo(portalUser);

            // The previous clinician's tokens belong to an ended session: no refresh, no userinfo, no Cerner token.
            OidcClient.TokenResponse refused = portal.client().refresh(portal.tokens().refreshToken());
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().path("error").asText()).isEqualTo("invalid_grant");
            assertThat(Http.get(env.realmUrl() + "/protocol/openid-connect/userinfo", portal.tokens().accessToken()).status())
                    .isEqualTo(401);
            assertThat(Http.get(env.realmUrl() + "/cerner/launch-token", portal.tokens().accessToken()).status()).isEqualTo(401);
            assertThat(env.admin().get("/realms/smart/users/" + portalUser + "/sessions").json())
                    .noneSatisfy(s -> assertThat(s.path("id").asText()).isEqualTo(portalSession));

            // Ended as a logout ends a session: recorded, and the launch's Cerner refresh token revoked.
            JsonNode logout = Events.await(env, switched, "LOGOUT", e -> portalSession.equals(e.path("sessionId").asText()));
            assertThat(logout.path("userId").asText()).isEqualTo(portalUser);
            assertThat(logout.path("details").path("reason").asText()).contains("replaced by an EHR launch");
            assertThat(env.simulator().requestLog().entries()).anySatisfy(r -> {
                assertThat(r.at()).isAfterOrEqualTo(switched);
                assertThat(r.endpoint()).isEqualTo(Endpoint.REVOKE);
                assertThat(r.status()).isEqualTo(200);
            });

            // The new clinician's session is the browser's now: a later launch of theirs shares it.
            Launches.Launched again = launches.launch(workstation, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE,
                    "nurse", "nurse");
            assertThat(again.tokens().accessTokenClaims().path("sid").asText())
                    .isEqualTo(nurse.tokens().accessTokenClaims().path("sid").asText());
            assertThat(LaunchIsolationIT.patients(again.tokens())).containsOnly(WILMA);
            assertThat(LaunchIsolationIT.patients(nurse.client().refresh(nurse.tokens().refreshToken()))).containsOnly(TIMMY);
        }

        @Test
        void no_page_asks_to_sign_out_first(Environment env) {
            Browser workstation = new Browser();
            launches.launch(workstation, Environment.SANDBOX_TENANT, "NANCY", Launches.Binding.COOKIE);
            env.simulator().endEhrSession("portal");
            workstation.clearHistory();
            launches.launch(workstation, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.COOKIE, "nurse", "nurse");
            assertThat(workstation.history()).noneSatisfy(page -> assertThat(page.body()).contains("different user"));
            assertThat(workstation.history().stream().filter(p -> p.url().startsWith(env.keycloak().url()) && !p.isRedirect()))
                    .as("Keycloak pages shown on the way").isEmpty();
        }
    }

    @Test
    void a_launch_from_a_second_tenant_in_the_same_browser_replaces_the_first_tenants_session(Environment env) {
        Browser browser = new Browser();
        Launches.Launched sandbox = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        Launches.Launched northwind = launches.launch(browser, Environment.NORTHWIND_TENANT, "TIMMY", Launches.Binding.HANDLE);

        assertThat(LaunchIsolationIT.patients(northwind.tokens())).containsOnly(TIMMY);
        assertThat(northwind.tokens().idTokenClaims().path("tenant").asText()).isEqualTo(Environment.NORTHWIND_TENANT);
        assertThat(northwind.tokens().accessTokenClaims().path("sid").asText())
                .isNotEqualTo(sandbox.tokens().accessTokenClaims().path("sid").asText());
        assertThat(sandbox.client().refresh(sandbox.tokens().refreshToken()).json().path("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void first_launches_of_a_new_clinician_at_the_same_moment_all_succeed_with_one_user(Environment env) throws Exception {
        // The nurse has never launched through the Northwind tenant before this test.
        String username = "cerner-northwind.practitioner.4122622";
        for (JsonNode user : env.admin().get("/realms/smart/users?username=" + username + "&exact=true").json()) {
            env.admin().delete("/realms/smart/users/" + user.path("id").asText());
        }
        int clinicianTabs = 8;
        List<String> handles = new ArrayList<>();
        List<Browser> browsers = new ArrayList<>();
        for (int i = 0; i < clinicianTabs; i++) {
            Browser browser = new Browser();
            browsers.add(browser);
            handles.add(launches.handleOf(launches.openLaunchUri(browser, Environment.NORTHWIND_TENANT, "HAILEY",
                    Environment.BROKER_JWT_CLIENT_ID)));
        }
        // Each browser signs in at the EHR and holds Cerner's answer back; then all callbacks reach Keycloak at once.
        OidcClient app = launches.app();
        List<OidcClient.AuthorizationRequest> requests = new ArrayList<>();
        List<Browser.Page> callbacks = new ArrayList<>();
        for (int i = 0; i < clinicianTabs; i++) {
            OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_launch", handles.get(i)));
            requests.add(request);
            callbacks.add(CernerPages.signInAndAllow(browsers.get(i), browsers.get(i).get(request.url()), "nurse", "nurse",
                    l -> l.contains("/broker/" + Environment.NORTHWIND_IDP + "/endpoint")));
        }
        ExecutorService pool = Executors.newFixedThreadPool(clinicianTabs);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<OidcClient.TokenResponse>> results = new ArrayList<>();
        try {
            for (int i = 0; i < clinicianTabs; i++) {
                Browser browser = browsers.get(i);
                Browser.Page callback = callbacks.get(i);
                OidcClient.AuthorizationRequest request = requests.get(i);
                Callable<OidcClient.TokenResponse> finish = () -> {
                    start.await();
                    Browser.Page back = browser.follow(browser.get(callback.location()), l -> l.startsWith(app.redirectUri()));
                    if (!back.isRedirect()) {
                        throw new AssertionError("launch ended on " + back + "\n" + back.body());
                    }
                    return app.exchange(request, back.location());
                };
                results.add(pool.submit(finish));
            }
            start.countDown();
            Set<String> subjects = new HashSet<>();
            for (Future<OidcClient.TokenResponse> result : results) {
                OidcClient.TokenResponse tokens = result.get(2, TimeUnit.MINUTES);
                assertThat(LaunchIsolationIT.patients(tokens)).containsOnly("12724068");
                subjects.add(tokens.accessTokenClaims().path("sub").asText());
            }
            assertThat(subjects).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        JsonNode users = env.admin().get("/realms/smart/users?username=" + username + "&exact=true").json();
        assertThat(users).hasSize(1);
        assertThat(env.admin().get("/realms/smart/users/" + users.get(0).path("id").asText() + "/federated-identity").json())
                .singleElement().satisfies(link -> assertThat(link.path("userId").asText())
                        .isEqualTo(Environment.NORTHWIND_TENANT + "/" + NURSE));
    }

    @Nested
    class The_cookie_fallback_and_handles {

        @Test
        void a_cookie_login_after_two_launches_met_fails_closed_even_when_one_was_claimed_by_handle(Environment env) {
            Browser browser = new Browser();
            String first = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
            String second = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "JOE", Environment.BROKER_CLIENT_ID));
            assertThat(LaunchIsolationIT.patients(launches.login(browser, second, Launches.Binding.HANDLE, "portal", "portal").tokens()))
                    .containsOnly("12724067");

            // The other tab's app forwards nothing: the cookie names the launch already used, the first one still waits.
            Browser.Page refused = browser.follow(browser.get(launches.app().authorizationRequest(Map.of()).url()));
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.text("#kc-page-title")).isEqualTo("Two launches at once");

            // By its handle, the waiting launch is still there and exact.
            assertThat(LaunchIsolationIT.patients(launches.login(browser, first, Launches.Binding.HANDLE, "portal", "portal").tokens()))
                    .containsOnly(WILMA);
        }

        @Test
        void a_handle_shown_to_the_wrong_app_stays_usable_by_its_own_app(Environment env) {
            String other = "it-other-app";
            env.admin().post("/realms/smart/clients", Map.of("clientId", other, "publicClient", true, "standardFlowEnabled", true,
                    "redirectUris", List.of("http://127.0.0.1/other/*"), "baseUrl", "http://127.0.0.1/other/",
                    "attributes", Map.of("pkce.code.challenge.method", "S256"),
                    "defaultClientScopes", List.of("basic", "profile", "smart-launch-context")));
            try {
                Browser browser = new Browser();
                String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "TIMMY", Environment.BROKER_CLIENT_ID));
                OidcClient otherApp = new OidcClient(env.realmUrl(), other, null, "http://127.0.0.1/other/cb");
                Browser.Page refused = browser.follow(browser.get(otherApp.authorizationRequest(Map.of("kc_launch", handle)).url()));
                assertThat(refused.status()).isEqualTo(400);
                assertThat(refused.text("#kc-page-title")).isEqualTo("Launch expired");

                assertThat(LaunchIsolationIT.patients(launches.login(browser, handle, Launches.Binding.HANDLE, "portal", "portal").tokens()))
                        .containsOnly(TIMMY);
            } finally {
                env.admin().delete("/realms/smart/clients/" + env.admin().clientUuid("smart", other));
            }
        }
    }

    @Test
    void beyond_twenty_launches_in_one_app_session_the_oldest_launch_is_the_one_dropped(Environment env) throws SQLException {
        Browser browser = new Browser();
        List<Launches.Launched> launched = new ArrayList<>();
        String[] patients = {"WILMA", "NANCY", "JOE", "HAILEY", "TIMMY"};
        for (int i = 0; i < 21; i++) {
            launched.add(launches.launch(browser, Environment.SANDBOX_TENANT, patients[i % patients.length], Launches.Binding.HANDLE));
        }
        // The first launch's row is deleted as the 21st is staged; the others keep theirs.
        KeycloakDatabase db = new KeycloakDatabase(env.keycloak().jdbcUrl());
        assertThat(launchRows(db, launched.subList(0, 1))).as("rows of the dropped launch").isZero();
        assertThat(launchRows(db, launched.subList(1, launched.size()))).as("rows of the kept launches").isEqualTo(20);
        // The first launch is gone: its refreshed tokens carry no patient (fail closed)...
        OidcClient.TokenResponse oldest = launched.get(0).client().refresh(launched.get(0).tokens().refreshToken());
        assertThat(oldest.status()).isEqualTo(200);
        assertThat(oldest.accessTokenClaims().has("patient")).isFalse();
        assertThat(oldest.accessTokenClaims().has("smart_launch")).isFalse();
        // ...and every later one, the second included, keeps its own patient.
        for (int i = 1; i < launched.size(); i++) {
            String expected = launched.get(i).tokens().json().path("patient").asText();
            OidcClient.TokenResponse refreshed = launched.get(i).client().refresh(launched.get(i).tokens().refreshToken());
            assertThat(LaunchIsolationIT.patients(refreshed)).as("launch %d", i).containsOnly(expected);
        }
    }

    private static int launchRows(KeycloakDatabase db, List<Launches.Launched> launched) throws SQLException {
        int rows = 0;
        for (Launches.Launched launch : launched) {
            String launchId = launch.tokens().accessTokenClaims().path("smart_launch").asText();
            assertThat(launchId).isNotBlank();
            rows += db.query("SELECT ID FROM SMART_LAUNCH WHERE ID = ?", launchId).size();
        }
        return rows;
    }
}
