package dev.smartbroker.simulator;

import java.util.Map;

import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** The built-in test app lets a person click through launcher, login and consent with the simulator alone. */
class TestAppTest {

    static Fixture f;
    static String launchUri;

    @BeforeAll
    static void start() {
        f = Fixture.start();
        launchUri = f.sim.enableTestApp();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** Follows redirects the way a browser does, returning the first page that is not one. */
    static Browser.Reply follow(Browser browser, Browser.Reply reply) {
        Browser.Reply current = reply;
        for (int i = 0; i < 10 && (current.status() == 302 || current.status() == 303); i++) {
            current = browser.get(java.net.URI.create(current.url()).resolve(current.location()).toString());
        }
        return current;
    }

    Browser.Reply launchFromLauncher(Browser browser, String tenant) {
        Browser.Reply launcher = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + tenant);
        assertThat(launcher.document().getElementById("launch-" + WILMA).select("option").eachAttr("value")).contains(TestApp.CLIENT_ID);
        return follow(browser, browser.submit(launcher, "form#launch-" + WILMA, Map.of("app", TestApp.CLIENT_ID)));
    }

    @Test
    void is_registered_with_a_launch_uri_on_the_simulator() {
        assertThat(launchUri).isEqualTo(f.sim.baseUrl() + "/test-app/launch");
        assertThat(f.sim.apps()).anySatisfy(app -> {
            assertThat(app.clientId()).isEqualTo(TestApp.CLIENT_ID);
            assertThat(app.launchUri()).isEqualTo(launchUri);
            assertThat(app.type()).isEqualTo("provider");
        });
    }

    @Test
    void a_click_through_from_the_launcher_ends_on_the_launch_patient() {
        Browser browser = new Browser();
        Browser.Reply login = launchFromLauncher(browser, NORTHWIND);
        assertThat(login.document().getElementById("login")).isNotNull();

        Browser.Reply consent = Fixture.signIn(browser, login, "portal", "portal");
        assertThat(consent.document().getElementById("consent")).isNotNull();
        assertThat(consent.body()).contains(TestApp.NAME);
        Browser.Reply result = follow(browser, Fixture.decide(browser, consent, "allow"));

        assertThat(result.status()).as(result.body()).isEqualTo(200);
        Document page = result.document();
        assertThat(page.getElementById("patient-name").text()).isEqualTo("SMART, WILMA");
        assertThat(page.getElementById("patient").text()).isEqualTo(WILMA);
        assertThat(page.getElementById("encounter").text()).isEqualTo("97953483");
        assertThat(page.getElementById("tenant").text()).isEqualTo(NORTHWIND);
        assertThat(page.getElementById("id_token-fhirUser").text()).isEqualTo(f.sim.fhirBase(NORTHWIND) + "/Practitioner/12742069");
        assertThat(page.getElementById("expires_in").text()).isEqualTo("570");
        // Tokens are shown shortened, never whole.
        String accessToken = f.sim.issuedTokens().stream().filter(t -> TestApp.CLIENT_ID.equals(t.clientId()) && t.kind().equals("access"))
                .reduce((a, b) -> b).orElseThrow().value();
        assertThat(result.body()).doesNotContain(accessToken);
        // The app used PKCE S256 and the exact registered redirect URI (the simulator refuses anything else).
        assertThat(f.sim.requestLog().entries()).anySatisfy(r -> {
            assertThat(r.endpoint()).isEqualTo(Endpoint.TOKEN);
            assertThat(r.clientId()).isEqualTo(TestApp.CLIENT_ID);
            assertThat(r.status()).isEqualTo(200);
        });
    }

    @Test
    void shows_cerner_s_refusal_with_its_more_information_link() {
        Browser browser = new Browser();
        Browser.Reply page = launchFromLauncher(browser, SANDBOX);
        if (page.document().getElementById("login") != null) {
            page = Fixture.signIn(browser, page, "nurse", "nurse");
        }
        Browser.Reply result = follow(browser, Fixture.decide(browser, page, "deny"));

        assertThat(result.status()).isEqualTo(400);
        assertThat(result.document().getElementById("error").text()).isEqualTo("access_denied");
        assertThat(result.document().getElementById("error-uri").attr("href")).startsWith(f.sim.baseUrl() + "/errors/");
    }

    @Test
    void refuses_an_iss_it_does_not_know_without_redirecting() {
        Browser browser = new Browser();

        Browser.Reply foreign = browser.get(launchUri + "?iss=" + Browser.enc("https://attacker.example/r4/x") + "&launch=abc");
        Browser.Reply noLaunch = browser.get(launchUri + "?iss=" + Browser.enc(f.sim.fhirBase(SANDBOX)));
        Browser.Reply badState = browser.get(f.sim.baseUrl() + "/test-app/callback?code=x&state=forged");

        for (Browser.Reply reply : new Browser.Reply[] {foreign, noLaunch, badState}) {
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.location()).isNull();
            assertThat(reply.document().getElementById("error")).isNotNull();
        }
    }

    @Test
    void is_absent_unless_enabled() {
        try (CernerSimulator plain = CernerSimulator.start(SimulatorConfig.defaults().withPort(0))) {
            assertThat(plain.apps()).isEmpty();
            assertThat(new Browser().get(plain.baseUrl() + "/test-app/launch?iss=x&launch=y").status()).isEqualTo(404);
        }
    }
}
