package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.PostLogoutRedirects;
import dev.smartbroker.it.support.SampleAppBrowser;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The sample app in one real browser with two tabs, two patients: each tab keeps its own launch through
 * interleaved logins, reloads and token refreshes; an interrupted login gets a plain page; signing out ends the
 * Keycloak session (and with it the launches' Cerner refresh tokens).
 */
@ExtendWith(SmartBrokerEnvironment.class)
class SampleAppTabsIT {

    private static final String WILMA = "12724065";
    private static final String TIMMY = "12724069";
    /** The Keycloak user of Cerner's "portal" clinician, named by tenant and Practitioner id. */
    private static final String PORTAL_USER = Environment.SANDBOX_IDP + ".practitioner.12742069";
    private static final String LAUNCH_ENDED = "This launch could not be completed (it expired or another window replaced it). "
            + "Close this window and open the app again from the patient's chart.";

    private SampleAppBrowser clinician;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void open() throws Exception {
        clinician = new SampleAppBrowser();
        browser = clinician.driver();
        wait = clinician.await();
    }

    @AfterEach
    void close() {
        if (clinician != null) {
            clinician.close();
        }
    }

    @Test
    void two_tabs_keep_their_own_patient_through_reloads_and_refreshes_until_sign_out(Environment env) throws Exception {
        Set<String> sessionsBefore = clinicianSessions(env);

        // Tab 1 opens WILMA and waits at Cerner's sign-in; meanwhile tab 2 opens TIMMY and finishes first. Tab 1's
        // authorization response then arrives after another tab's login, which once ended on Spring's error page.
        String tab1 = browser.getWindowHandle();
        launchFromPowerChart(env, WILMA);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("login")));
        browser.switchTo().newWindow(WindowType.TAB);
        String tab2 = browser.getWindowHandle();
        launchFromPowerChart(env, TIMMY);
        String timmyPage = signInAndAwaitTheApp(env);
        browser.switchTo().window(tab1);
        String wilmaPage = signInAndAwaitTheApp(env);
        screenshot("tabs-wilma");
        assertThat(wilmaPage).isNotEqualTo(timmyPage);
        assertShows(env, WILMA, "SMART, WILMA");
        browser.switchTo().window(tab2);
        assertShows(env, TIMMY, "SMART, TIMMY");

        // Reloads, in both orders.
        reload(tab1, wilmaPage);
        assertShows(env, WILMA, "SMART, WILMA");
        reload(tab2, timmyPage);
        assertShows(env, TIMMY, "SMART, TIMMY");
        reload(tab1, wilmaPage);
        assertShows(env, WILMA, "SMART, WILMA");

        // Each tab refreshes its own tokens at Keycloak; the other tab's stay as they were.
        String wilmaToken = text("at-jti");
        browser.switchTo().window(tab2);
        String timmyToken = text("at-jti");
        browser.switchTo().window(tab1);
        String wilmaRefreshed = refreshNow(wilmaToken);
        assertThat(browser.getCurrentUrl()).isEqualTo(wilmaPage);
        assertShows(env, WILMA, "SMART, WILMA");
        reload(tab2, timmyPage);
        assertThat(text("at-jti")).isEqualTo(timmyToken);
        String timmyRefreshed = refreshNow(timmyToken);
        assertShows(env, TIMMY, "SMART, TIMMY");
        reload(tab1, wilmaPage);
        assertThat(text("at-jti")).isEqualTo(wilmaRefreshed);
        assertShows(env, WILMA, "SMART, WILMA");
        reload(tab2, timmyPage);
        assertThat(text("at-jti")).isEqualTo(timmyRefreshed);
        assertShows(env, TIMMY, "SMART, TIMMY");

        // A login callback that finds no pending login of this browser, and a launch this browser does not hold.
        browser.switchTo().newWindow(WindowType.TAB);
        String callback = env.sampleAppUrl() + "/login/oauth2/code/keycloak?code=stale&state=stale";
        browser.get(callback);
        screenshot("tabs-interrupted");
        assertThat(text("launch-ended")).isEqualTo(LAUNCH_ENDED);
        assertThat(browser.getPageSource()).doesNotContain("Invalid credentials", "authorization_request_not_found", "Whitelabel");
        Http.Reply interrupted = Http.get(callback, null);
        assertThat(interrupted.status()).isEqualTo(400);
        assertThat(interrupted.body()).contains("This launch could not be completed");
        browser.get(env.sampleAppUrl() + "/launch/notALaunchOfThisBrowser");
        assertThat(text("launch-ended")).isEqualTo(LAUNCH_ENDED);
        browser.close();

        // Both launches live in this browser's Keycloak session; signing out in one tab ends it.
        Set<String> ours = new HashSet<>(clinicianSessions(env));
        ours.removeAll(sessionsBefore);
        assertThat(ours).isNotEmpty();
        try (PostLogoutRedirects allowed = PostLogoutRedirects.allow(env, "sample-app", env.sampleAppUrl() + "/logged-out")) {
            // The shipped demo realm lets the sample app come back to /logged-out after Keycloak's logout.
            assertThat(allowed.changedRealm()).as("the realm had to be changed to allow /logged-out").isFalse();
            Instant signOut = Instant.now();
            browser.switchTo().window(tab2);
            browser.findElement(By.id("sign-out")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("logged-out")));
            assertThat(browser.getCurrentUrl()).isEqualTo(env.sampleAppUrl() + "/logged-out");

            assertThat(clinicianSessions(env)).doesNotContainAnyElementsOf(ours);
            // The broker's logout work ran: both launches' Cerner refresh tokens were revoked.
            assertThat(env.simulator().requestLog().entries().stream()
                    .filter(r -> r.endpoint() == Endpoint.REVOKE && r.status() == 200 && !r.at().isBefore(signOut)).count())
                    .isGreaterThanOrEqualTo(2);
        }
        // The other tab's launch went with the browser's session.
        reload(tab1, wilmaPage);
        assertThat(text("launch-ended")).isEqualTo(LAUNCH_ENDED);
    }

    /** In the simulated PowerChart, launches the sample app (through the broker's registration) for a patient. */
    private void launchFromPowerChart(Environment env, String patientId) {
        clinician.launchFromPowerChart(env, Environment.SANDBOX_TENANT, patientId, Environment.BROKER_CLIENT_ID);
    }

    /** Signs in at Cerner if asked, allows the app if asked, and returns the URL of the app page the tab lands on. */
    private String signInAndAwaitTheApp(Environment env) {
        return clinician.signInAndAwaitTheApp(env, "portal", "portal");
    }

    private void reload(String tab, String expectedUrl) {
        browser.switchTo().window(tab);
        browser.navigate().refresh();
        wait.until(ExpectedConditions.or(ExpectedConditions.presenceOfElementLocated(By.id("context")),
                ExpectedConditions.presenceOfElementLocated(By.id("launch-ended"))));
        assertThat(browser.getCurrentUrl()).isEqualTo(expectedUrl);
    }

    /** Clicks the page's "Refresh tokens now" and returns the new access token's id, which must differ. */
    private String refreshNow(String before) {
        WebElement old = browser.findElement(By.id("at-jti"));
        browser.findElement(By.id("refresh-now")).click();
        wait.until(d -> isGone(old));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("context")));
        String after = text("at-jti");
        assertThat(after).isNotBlank().isNotEqualTo(before);
        return after;
    }

    /**
     * Whether the page that held this element was replaced. Besides Selenium's stale-element error, ChromeDriver may
     * answer "Node with given id does not belong to the document" while the old page is being torn down.
     */
    private static boolean isGone(WebElement element) {
        try {
            element.isEnabled();
            return false;
        } catch (StaleElementReferenceException e) {
            return true;
        } catch (WebDriverException e) {
            if (e.getMessage() != null && e.getMessage().contains("does not belong to the document")) {
                return true;
            }
            throw e;
        }
    }

    /** The page of the current tab shows this patient, in the banner (read from FHIR) and in both tokens. */
    private void assertShows(Environment env, String patientId, String name) {
        assertThat(text("banner-name")).isEqualTo(name);
        assertThat(text("banner-patient")).isEqualTo(patientId);
        assertThat(text("id-patient")).isEqualTo(patientId);
        assertThat(text("at-patient")).isEqualTo(patientId);
        assertThat(text("id-tenant")).isEqualTo(Environment.SANDBOX_TENANT);
        assertThat(text("id-fhir_base")).isEqualTo(env.simulator().fhirBase(Environment.SANDBOX_TENANT));
        // The tab's URL names the launch its tokens carry.
        assertThat(browser.getCurrentUrl()).isEqualTo(env.sampleAppUrl() + "/launch/" + text("at-smart_launch"));
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    /** Ids of Keycloak's sessions of the clinician "portal" (a user the broker created from the sandbox tenant). */
    private static Set<String> clinicianSessions(Environment env) {
        Set<String> ids = new HashSet<>();
        for (JsonNode user : env.admin().get("/realms/" + env.realm() + "/users?exact=true&username=" + PORTAL_USER).json()) {
            env.admin().get("/realms/" + env.realm() + "/users/" + user.path("id").asText() + "/sessions").json()
                    .forEach(session -> ids.add(session.path("id").asText()));
        }
        return ids;
    }

    private void screenshot(String name) throws Exception {
        clinician.screenshot(name);
    }
}
