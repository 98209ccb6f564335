package dev.smartbroker.simulator;

import java.util.List;
import java.util.Map;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.JWT_APP;
import static dev.smartbroker.simulator.Fixture.LAUNCH_URI;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** The PowerChart-like launcher (docs/ehr/cerner.md §2.1, §6). */
class LauncherTest {

    static Fixture f;

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Nested
    class The_patient_list {

        @Test
        void lists_the_sandbox_patients_with_their_encounters_and_the_launchable_apps() {
            Document page = new Browser().get(f.sim.baseUrl() + "/launcher?tenant=" + NORTHWIND).document();

            assertThat(page.getElementById("iss").text()).isEqualTo(f.sim.fhirBase(NORTHWIND));
            for (String[] p : new String[][] {{"12724065", "SMART, WILMA", "97953483"}, {"12724066", "SMART, NANCY", null},
                    {"12724067", "SMART, JOE", null}, {"12724068", "SMART, HAILEY", null}, {"12724069", "SMART, TIMMY", "97953492"}}) {
                Element form = page.getElementById("launch-" + p[0]);
                assertThat(form).as(p[1]).isNotNull();
                assertThat(form.text()).contains(p[1]);
                if (p[2] != null) {
                    assertThat(form.text()).contains(p[2]);
                }
                assertThat(form.selectFirst("input[name=tenant]").attr("value")).isEqualTo(NORTHWIND);
            }
            List<String> apps = page.getElementById("launch-" + WILMA).select("option").eachAttr("value");
            // Apps without a Launch URI (system accounts) cannot be launched.
            assertThat(apps).contains(APP, JWT_APP).doesNotContain(Fixture.SYSTEM, Fixture.SYSTEM_SECRET_ACCOUNT);
        }

        @Test
        void defaults_to_the_first_tenant() {
            Document page = new Browser().get(f.sim.baseUrl() + "/launcher").document();

            assertThat(page.getElementById("iss").text()).isEqualTo(f.sim.fhirBase(SANDBOX));
        }

        @Test
        void shows_the_signed_in_clinician_and_ends_the_ehr_session_on_request() {
            Browser browser = new Browser();
            f.codeFlow(browser, SANDBOX, WILMA, APP, "launch user/Patient.read", "nurse");

            Browser.Reply page = browser.get(f.sim.baseUrl() + "/launcher");
            assertThat(page.document().getElementById("clinician").text()).isEqualTo("Cerner Test, Physician - Hospitalist");

            Browser.Reply ended = browser.submit(page, "form#end-session", Map.of());
            assertThat(ended.status()).isEqualTo(303);
            assertThat(browser.get(f.sim.baseUrl() + "/launcher").document().getElementById("clinician")).isNull();
            // The next authorization asks for a sign-in again.
            String launch = f.launch(browser, SANDBOX, WILMA, APP);
            Browser.Reply authorize = f.authorize(browser, SANDBOX, f.authorizeParams(SANDBOX, APP, launch, "launch", null));
            assertThat(authorize.document().getElementById("login")).isNotNull();
        }
    }

    @Nested
    class Launching {

        @Test
        void answers_303_to_the_launch_uri_with_iss_and_an_opaque_launch_in_the_same_window() {
            Browser browser = new Browser();
            Browser.Reply page = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + SANDBOX);

            Browser.Reply reply = browser.submit(page, "form#launch-" + WILMA, Map.of("app", APP));

            assertThat(reply.status()).isEqualTo(303);
            assertThat(reply.location()).startsWith(LAUNCH_URI + "?iss=");
            Map<String, String> q = reply.locationQuery();
            assertThat(q).containsOnlyKeys("iss", "launch").containsEntry("iss", f.sim.fhirBase(SANDBOX));
            assertThat(q.get("launch")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
            assertThat(reply.body()).doesNotContain("<script");
        }

        @Test
        void appends_with_an_ampersand_when_the_launch_uri_has_a_query() {
            Browser browser = new Browser();
            Browser.Reply page = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + NORTHWIND);

            Browser.Reply reply = browser.submit(page, "form#launch-" + WILMA, Map.of("app", JWT_APP));

            assertThat(reply.location()).startsWith(LAUNCH_URI + "?variant=jwt&iss=");
            assertThat(reply.locationQuery()).containsEntry("variant", "jwt").containsEntry("iss", f.sim.fhirBase(NORTHWIND));
        }

        @Test
        void gives_each_launch_its_own_value() {
            String first = f.launch(SANDBOX, WILMA, APP);
            String second = f.launch(SANDBOX, WILMA, APP);

            assertThat(first).isNotEqualTo(second);
        }

        @Test
        void refuses_an_unknown_app_or_patient_with_the_page_again() {
            Browser browser = new Browser();
            Browser.Reply page = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + SANDBOX);

            Browser.Reply unknownApp = browser.submit(page, "form#launch-" + WILMA, Map.of("app", "nope"));
            Browser.Reply unknownPatient = browser.submit(page, "form#launch-" + WILMA, Map.of("app", APP, "patient", "999"));
            Browser.Reply systemApp = browser.submit(page, "form#launch-" + WILMA, Map.of("app", Fixture.SYSTEM));

            for (Browser.Reply reply : List.of(unknownApp, unknownPatient, systemApp)) {
                assertThat(reply.status()).isEqualTo(400);
                assertThat(reply.document().getElementById("error")).isNotNull();
            }
        }
    }
}
