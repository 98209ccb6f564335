package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.SampleAppBrowser;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A ward workstation in a real browser: clinicians change at the EHR, hospitals change, the browser stays. Each launch
 * opens the app as the clinician who launched it, with this launch's patient; the previous clinician's tab ends
 * (it shows "open the app again from the chart") instead of going on as them or turning into the next clinician.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class WorkstationBrowserIT {

    @Test
    void the_next_clinician_on_a_shared_workstation_sees_themself_and_their_patient(Environment env) throws Exception {
        try (SampleAppBrowser browser = new SampleAppBrowser()) {
            browser.launchFromPowerChart(env, Environment.SANDBOX_TENANT, "12724065", Environment.BROKER_CLIENT_ID);
            String portalPage = browser.signInAndAwaitTheApp(env, "portal", "portal");
            assertThat(browser.text("banner-name")).isEqualTo("SMART, WILMA");
            assertThat(browser.text("user")).contains("Portal");

            // The clinician leaves; a nurse signs in to the EHR on the same workstation and opens the app for TIMMY.
            env.simulator().endEhrSession("portal");
            browser.launchFromPowerChart(env, Environment.SANDBOX_TENANT, "12724069", Environment.BROKER_CLIENT_ID);
            String nursePage = browser.signInAndAwaitTheApp(env, "nurse", "nurse");
            browser.screenshot("workstation-nurse");
            assertThat(browser.text("banner-name")).isEqualTo("SMART, TIMMY");
            assertThat(browser.text("id-fhirUser")).endsWith("/Practitioner/4122622");
            assertThat(browser.text("user")).contains("Cerner Test").doesNotContain("Portal");

            // The previous clinician's page now ends instead of showing their patient as them.
            browser.open(portalPage);
            browser.screenshot("workstation-previous-tab");
            assertThat(browser.has("launch-ended")).isTrue();
            assertThat(browser.has("banner-name")).isFalse();
            // The nurse's page goes on.
            browser.open(nursePage);
            assertThat(browser.text("banner-name")).isEqualTo("SMART, TIMMY");
        }
    }

    @Test
    void a_launch_from_a_second_hospital_in_the_same_browser_opens_as_that_hospitals_clinician(Environment env) throws Exception {
        try (SampleAppBrowser browser = new SampleAppBrowser()) {
            browser.launchFromPowerChart(env, Environment.SANDBOX_TENANT, "12724066", Environment.BROKER_CLIENT_ID);
            String sandboxPage = browser.signInAndAwaitTheApp(env, "portal", "portal");
            assertThat(browser.text("id-tenant")).isEqualTo(Environment.SANDBOX_TENANT);

            browser.launchFromPowerChart(env, Environment.NORTHWIND_TENANT, "12724068", Environment.BROKER_JWT_CLIENT_ID);
            browser.signInAndAwaitTheApp(env, "portal", "portal");
            assertThat(browser.text("id-tenant")).isEqualTo(Environment.NORTHWIND_TENANT);
            assertThat(browser.text("banner-name")).isEqualTo("SMART, HAILEY");

            browser.open(sandboxPage);
            assertThat(browser.has("launch-ended")).isTrue();
        }
    }
}
