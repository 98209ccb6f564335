package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Patient safety: two launches in one browser never see each other's patient, also after refresh, whatever the
 * order of their steps (docs/launch-isolation.md measured how Keycloak's own session notes fail this).
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchIsolationIT {

    private static final String WILMA = "12724065";
    private static final String JOE = "12724067";

    @Test
    void wilma_then_joe_in_one_browser_each_keep_their_patient_after_refreshes(Environment env) {
        Browser browser = new Browser();
        Launches launches = new Launches(env);
        Launches.Launched wilma = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        Launches.Launched joe = launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
        // Both launches live in the same Keycloak user session (one browser, SSO).
        assertThat(wilma.tokens().accessTokenClaims().path("sid").asText()).isEqualTo(joe.tokens().accessTokenClaims().path("sid").asText());

        OidcClient.TokenResponse wilmaRefreshed = wilma.client().refresh(wilma.tokens().refreshToken());
        OidcClient.TokenResponse joeRefreshed = joe.client().refresh(joe.tokens().refreshToken());
        assertThat(patients(wilmaRefreshed)).containsOnly(WILMA);
        assertThat(patients(joeRefreshed)).containsOnly(JOE);

        // And along the refresh chain, after another launch in between.
        launches.launch(browser, Environment.SANDBOX_TENANT, "NANCY", Launches.Binding.HANDLE);
        OidcClient.TokenResponse wilmaAgain = wilma.client().refresh(wilmaRefreshed.refreshToken());
        assertThat(patients(wilmaAgain)).containsOnly(WILMA);
        assertThat(wilma.client().userinfo(wilmaAgain.accessToken()).path("patient").asText()).isEqualTo(WILMA);
        assertThat(joe.client().userinfo(joeRefreshed.accessToken()).path("patient").asText()).isEqualTo(JOE);
    }

    @Test
    void a_code_exchanged_after_a_later_launch_still_gets_its_own_patient(Environment env) {
        Browser browser = new Browser();
        Launches launches = new Launches(env);
        OidcClient app = launches.app();
        // Launch 1 runs up to the app's redirect, but the app has not exchanged its code yet...
        String handle1 = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
        OidcClient.AuthorizationRequest request1 = app.authorizationRequest(Map.of("kc_launch", handle1));
        Browser.Page back1 = CernerPages.signInAndAllow(browser, browser.get(request1.url()), "portal", "portal",
                l -> l.startsWith(app.redirectUri()));
        // ...when launch 2 of the same app completes entirely.
        Launches.Launched joe = launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
        OidcClient.TokenResponse late = app.exchange(request1, back1.location());
        assertThat(patients(late)).containsOnly(WILMA);
        assertThat(patients(joe.tokens())).containsOnly(JOE);
    }

    @Test
    void two_pending_launches_of_one_app_are_never_handed_out_by_cookie(Environment env) {
        Browser browser = new Browser();
        Launches launches = new Launches(env);
        String handle1 = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
        String handle2 = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "JOE", Environment.BROKER_CLIENT_ID));
        assertThat(handle1).isNotEqualTo(handle2);

        // An app that forwards nothing cannot tell the two windows apart: the broker refuses rather than guess.
        OidcClient app = launches.app();
        Browser.Page refused = browser.follow(browser.get(app.authorizationRequest(Map.of()).url()));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.text("#kc-page-title")).isEqualTo("Two launches at once");

        // Apps that forward kc_launch get each launch exactly.
        assertThat(patients(launches.login(browser, handle2, Launches.Binding.HANDLE, "portal", "portal").tokens())).containsOnly(JOE);
        assertThat(patients(launches.login(browser, handle1, Launches.Binding.HANDLE, "portal", "portal").tokens())).containsOnly(WILMA);
    }

    @Test
    void launches_of_different_clinicians_in_different_browsers_stay_apart(Environment env) {
        Launches launches = new Launches(env);
        Launches.Launched portal = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "HAILEY", Launches.Binding.COOKIE);
        Browser nurseBrowser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(nurseBrowser, Environment.SANDBOX_TENANT, "TIMMY", Environment.BROKER_CLIENT_ID));
        Launches.Launched nurse = launches.login(nurseBrowser, handle, Launches.Binding.COOKIE, "nurse", "nurse");
        assertThat(patients(portal.tokens())).containsOnly("12724068");
        assertThat(patients(nurse.tokens())).containsOnly("12724069");
        assertThat(nurse.tokens().idTokenClaims().path("fhirUser").asText()).endsWith("/Practitioner/4122622");
        assertThat(portal.tokens().idTokenClaims().path("fhirUser").asText()).endsWith("/Practitioner/12742069");
    }

    /** The patient of a token response as seen in the response, the ID token and the access token. */
    static java.util.Set<String> patients(OidcClient.TokenResponse tokens) {
        assertThat(tokens.status()).as(tokens.json().toString()).isEqualTo(200);
        java.util.Set<String> seen = new java.util.HashSet<>();
        seen.add(tokens.json().path("patient").asText("<none>"));
        seen.add(tokens.accessTokenClaims().path("patient").asText("<none>"));
        if (tokens.idToken() != null) {
            seen.add(tokens.idTokenClaims().path("patient").asText("<none>"));
        }
        return seen;
    }
}
