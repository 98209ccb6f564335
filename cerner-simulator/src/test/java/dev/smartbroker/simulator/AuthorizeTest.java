package dev.smartbroker.simulator;

import java.time.Duration;
import java.util.Map;

import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.JWT_APP;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.REDIRECT;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.TWO_REDIRECTS_APP;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** The provider authorize endpoint with its login and consent pages (docs/ehr/cerner.md §2.1-§2.3, §2.9). */
class AuthorizeTest {

    static final String URN = "urn:cerner:error:authorization-server:";
    static Fixture f;
    final Browser browser = new Browser();

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.settings(SANDBOX).update(new TenantSettings());
        f.sim.settings(NORTHWIND).update(new TenantSettings());
    }

    Map<String, String> params(String tenant, String clientId, String scope) {
        return f.authorizeParams(tenant, clientId, f.launch(browser, tenant, WILMA, clientId), scope, Fixture.Pkce.create());
    }

    Map<String, String> params() {
        return params(SANDBOX, APP, "launch user/Patient.read");
    }

    static Map<String, String> with(Map<String, String> params, String key, String value) {
        Map<String, String> copy = new java.util.LinkedHashMap<>(params);
        if (value == null) {
            copy.remove(key);
        } else {
            copy.put(key, value);
        }
        return copy;
    }

    /** A Cerner error redirect: back to the app with state, error and an error_uri naming the URN (§2.3). */
    void assertRedirectError(Browser.Reply reply, Map<String, String> params, String error, String urn) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(302);
        assertThat(reply.location()).startsWith(REDIRECT + "?state=");
        Map<String, String> q = reply.locationQuery();
        assertThat(q).containsOnlyKeys("state", "error", "error_uri").containsEntry("state", params.get("state")).containsEntry("error", error);
        String errorUri = q.get("error_uri");
        assertThat(errorUri).startsWith(f.sim.baseUrl() + "/errors/urn%3Acerner%3Aerror%3A").contains("/instances/")
                .endsWith("?persona=provider&client=" + params.get("client_id") + "&tenant=" + SANDBOX);
        assertThat(Fixture.urn(errorUri)).isEqualTo(URN + urn);
        // The link leads to a page that explains the URN.
        Browser.Reply page = browser.get(errorUri);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.document().getElementById("urn").text()).isEqualTo(URN + urn);
    }

    /** Client and redirect URI failures are shown, never redirected (RFC 6749 §4.1.2.1). */
    static void assertErrorPage(Browser.Reply reply, String text) {
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.location()).isNull();
        assertThat(reply.header("Content-Type")).startsWith("text/html");
        assertThat(reply.document().getElementById("error").text()).contains(text);
    }

    @Nested
    class The_happy_path {

        @Test
        void signs_in_asks_consent_and_redirects_with_a_code_and_the_state() {
            f.sim.settings(SANDBOX).consent = "always";
            Map<String, String> params = params(SANDBOX, APP, "launch openid fhirUser user/Patient.read");

            Browser.Reply login = f.authorize(browser, SANDBOX, params);
            assertThat(login.status()).isEqualTo(200);
            assertThat(login.document().getElementById("login")).isNotNull();

            Browser.Reply consent = Fixture.signIn(browser, login, "portal", "portal");
            assertThat(consent.status()).isEqualTo(200);
            assertThat(consent.header("Set-Cookie")).startsWith("CERNER_SIM_SESSION=").contains("HttpOnly");
            Document page = consent.document();
            assertThat(page.getElementById("app-name").text()).isEqualTo("Test App");
            assertThat(page.getElementById("user").text()).isEqualTo("Portal, Portal");
            assertThat(page.getElementById("patient").text()).isEqualTo("SMART, WILMA");
            assertThat(page.select("#scopes li").eachText()).containsExactly("launch", "openid", "fhirUser", "user/Patient.read");

            Browser.Reply redirect = Fixture.decide(browser, consent, "allow");
            assertThat(redirect.status()).isEqualTo(302);
            assertThat(redirect.location()).startsWith(REDIRECT + "?code=");
            Map<String, String> q = redirect.locationQuery();
            assertThat(q).containsOnlyKeys("code", "state").containsEntry("state", params.get("state"));
            assertThat(q.get("code")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        }

        @Test
        void shows_the_login_form_again_after_a_wrong_password() {
            f.sim.settings(SANDBOX).consent = "always";
            Browser.Reply login = f.authorize(browser, SANDBOX, params());

            Browser.Reply again = Fixture.signIn(browser, login, "portal", "wrong");

            assertThat(again.status()).isEqualTo(401);
            assertThat(again.document().getElementById("error").text()).contains("Incorrect");
            assertThat(again.document().getElementById("login")).isNotNull();
            assertThat(again.header("Set-Cookie")).isNull();
            assertThat(Fixture.signIn(browser, again, "portal", "portal").document().getElementById("consent")).isNotNull();
        }

        @Test
        void asks_consent_once_per_user_and_app_then_redirects_at_once() {
            String app = f.freshApp();
            Browser.Reply first = Fixture.signIn(browser, f.authorize(browser, SANDBOX, params(SANDBOX, app, "launch")), "portal", "portal");
            assertThat(first.document().getElementById("consent")).isNotNull();
            Fixture.decide(browser, first, "allow");

            Browser.Reply second = f.authorize(browser, SANDBOX, params(SANDBOX, app, "launch"));

            assertThat(second.status()).isEqualTo(302);
            assertThat(second.locationQuery()).containsKey("code");
            // Another app, or another clinician, is asked.
            Browser.Reply otherApp = f.authorize(browser, SANDBOX, params(SANDBOX, f.freshApp(), "launch"));
            assertThat(otherApp.document().getElementById("consent")).isNotNull();
            Browser nurse = new Browser();
            Browser.Reply nurseLogin = f.authorize(nurse, SANDBOX, f.authorizeParams(SANDBOX, app, f.launch(SANDBOX, WILMA, app), "launch", null));
            assertThat(Fixture.signIn(nurse, nurseLogin, "nurse", "nurse").document().getElementById("consent")).isNotNull();
        }

        @Test
        void asks_consent_every_time_when_the_tenant_says_always() {
            String app = f.freshApp();
            Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params(SANDBOX, app, "launch")), "portal");
            f.sim.settings(SANDBOX).consent = "always";

            Browser.Reply second = f.authorize(browser, SANDBOX, params(SANDBOX, app, "launch"));

            assertThat(second.status()).isEqualTo(200);
            assertThat(second.document().getElementById("consent")).isNotNull();
        }

        @Test
        void accepts_the_request_as_a_form_post() {
            Map<String, String> params = params();

            Browser.Reply login = browser.postForm(f.sim.authorizationEndpoint(SANDBOX), params);

            assertThat(login.status()).isEqualTo(200);
            Browser.Reply redirect = Fixture.signInAndAllow(browser, login, "portal");
            assertThat(redirect.locationQuery()).containsKey("code").containsEntry("state", params.get("state"));
        }

        @Test
        void uses_the_one_registered_redirect_uri_when_the_request_omits_it() {
            Map<String, String> params = with(params(), "redirect_uri", null);

            Browser.Reply redirect = Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params), "portal");

            assertThat(redirect.location()).startsWith(REDIRECT + "?code=");
        }

        @Test
        void appends_to_a_redirect_uri_that_has_a_query() {
            Map<String, String> params = with(params(SANDBOX, TWO_REDIRECTS_APP, "launch"), "redirect_uri", REDIRECT + "?tab=2");

            Browser.Reply redirect = Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params), "portal");

            assertThat(redirect.location()).startsWith(REDIRECT + "?tab=2&code=");
        }

        @Test
        void redirects_deny_as_access_denied() {
            f.sim.settings(SANDBOX).consent = "always";
            Map<String, String> params = params();
            Browser.Reply consent = Fixture.signIn(browser, f.authorize(browser, SANDBOX, params), "portal", "portal");

            Browser.Reply denied = Fixture.decide(browser, consent, "deny");

            assertRedirectError(denied, params, "access_denied", "oauth2:grant:access-denied");
        }

        @Test
        void drops_wildcard_and_unregistered_scopes_silently() {
            f.sim.settings(SANDBOX).consent = "always";
            Map<String, String> params = params(SANDBOX, APP, "launch patient/*.read user/*.* user/Patient.read user/Condition.read");

            Browser.Reply consent = Fixture.signIn(browser, f.authorize(browser, SANDBOX, params), "portal", "portal");

            assertThat(consent.document().select("#scopes li").eachText()).containsExactly("launch", "user/Patient.read");
        }

        @Test
        void lets_a_launch_without_a_patient_through_with_user_scopes() {
            f.sim.settings(SANDBOX).consent = "always";
            String launch = f.launch(browser, SANDBOX, null, APP);
            Map<String, String> params = f.authorizeParams(SANDBOX, APP, launch, "launch user/Patient.read", null);

            Browser.Reply consent = Fixture.signIn(browser, f.authorize(browser, SANDBOX, params), "portal", "portal");

            assertThat(consent.document().getElementById("consent")).isNotNull();
            assertThat(consent.document().getElementById("patient")).isNull();
        }

        @Test
        void accepts_an_aud_with_a_trailing_slash_only_when_the_tenant_is_lenient() {
            f.sim.settings(SANDBOX).lenientAudTrailingSlash = true;
            Map<String, String> params = with(params(), "aud", f.sim.fhirBase(SANDBOX) + "/");

            Browser.Reply login = f.authorize(browser, SANDBOX, params);

            assertThat(login.status()).isEqualTo(200);
            assertThat(login.document().getElementById("login")).isNotNull();
        }

        @Test
        void works_for_the_non_uuid_tenant() {
            Map<String, String> params = params(NORTHWIND, APP, "launch user/Patient.read");

            Browser.Reply redirect = Fixture.signInAndAllow(browser, f.authorize(browser, NORTHWIND, params), "nurse");

            assertThat(redirect.locationQuery()).containsKey("code");
        }
    }

    @Nested
    class Shows_an_error_page_and_does_not_redirect {

        @Test
        void for_an_unknown_client() {
            assertErrorPage(f.authorize(browser, SANDBOX, with(params(), "client_id", "nope")), "not a registered");
        }

        @Test
        void for_a_system_account() {
            assertErrorPage(f.authorize(browser, SANDBOX, with(params(), "client_id", Fixture.SYSTEM)), "not a registered");
        }

        @Test
        void for_a_redirect_uri_that_differs_by_a_trailing_slash() {
            assertErrorPage(f.authorize(browser, SANDBOX, with(params(), "redirect_uri", REDIRECT + "/")), "not registered");
            assertErrorPage(f.authorize(browser, SANDBOX, with(params(SANDBOX, TWO_REDIRECTS_APP, "launch"), "redirect_uri", REDIRECT)),
                    "not registered");
        }

        @Test
        void for_an_omitted_redirect_uri_when_several_are_registered() {
            assertErrorPage(f.authorize(browser, SANDBOX, with(params(SANDBOX, TWO_REDIRECTS_APP, "launch"), "redirect_uri", null)),
                    "must name one");
        }
    }

    @Nested
    class Redirects_an_error {

        @Test
        void for_a_response_type_other_than_code() {
            Map<String, String> params = with(params(), "response_type", "token");
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "unsupported_response_type",
                    "oauth2:grant:unsupported-response-type");
        }

        @Test
        void for_a_missing_aud() {
            Map<String, String> params = with(params(), "aud", null);
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-audience");
        }

        @Test
        void for_the_aud_of_another_tenant() {
            Map<String, String> params = with(params(), "aud", f.sim.fhirBase(NORTHWIND));
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-audience");
        }

        @Test
        void for_an_aud_with_a_trailing_slash_by_default() {
            Map<String, String> params = with(params(), "aud", f.sim.fhirBase(SANDBOX) + "/");
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-audience");
        }

        @Test
        void for_a_provider_request_without_launch() {
            Map<String, String> params = with(params(), "launch", null);
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "smart-v1:grant:launch:code-required");
        }

        @Test
        void for_an_unknown_launch() {
            Map<String, String> params = with(params(), "launch", java.util.UUID.randomUUID().toString());
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "smart-v1:grant:launch:invalid-launch-code");
        }

        @Test
        void for_an_expired_launch() {
            f.sim.settings(SANDBOX).launchLifetimeSeconds = 10;
            Map<String, String> params = params();
            f.sim.clock().advance(Duration.ofSeconds(9));
            assertThat(f.authorize(new Browser(), SANDBOX, params).document().getElementById("login"))
                    .as("within its lifetime the launch leads to the login page").isNotNull();

            f.sim.clock().advance(Duration.ofSeconds(2));

            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "smart-v1:grant:launch:invalid-launch-code");
        }

        @Test
        void for_a_reused_launch() {
            Map<String, String> params = params();
            Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params), "portal");

            Map<String, String> again = with(params, "state", "second");

            assertRedirectError(f.authorize(browser, SANDBOX, again), again, "invalid_request", "smart-v1:grant:launch:invalid-launch-code");
        }

        @Test
        void for_the_launch_of_another_client() {
            String launch = f.launch(browser, SANDBOX, WILMA, JWT_APP);
            Map<String, String> params = f.authorizeParams(SANDBOX, APP, launch, "launch", null);

            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "smart-v1:grant:launch:invalid-launch-code");
        }

        @Test
        void for_the_launch_of_another_tenant() {
            String launch = f.launch(browser, NORTHWIND, WILMA, APP);
            Map<String, String> params = f.authorizeParams(SANDBOX, APP, launch, "launch", null);

            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "smart-v1:grant:launch:invalid-launch-code");
        }

        @Test
        void for_a_plain_pkce_challenge() {
            Map<String, String> params = with(params(), "code_challenge_method", "plain");
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-code-challenge");
        }

        @Test
        void for_a_pkce_challenge_without_a_method() {
            Map<String, String> params = with(params(), "code_challenge_method", null);
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-code-challenge");
        }

        @Test
        void for_a_missing_pkce_challenge_when_the_tenant_requires_pkce() {
            f.sim.settings(SANDBOX).requirePkce = true;
            Map<String, String> params = with(with(params(), "code_challenge", null), "code_challenge_method", null);
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "invalid_request", "oauth2:grant:invalid-code-challenge");
        }

        @Test
        void for_scopes_of_which_nothing_registered_remains() {
            Map<String, String> params = params(SANDBOX, APP, "user/*.read patient/*.* system/Patient.read user/Condition.read");
            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "unauthorized_client", "oauth2:grant:empty-scopes");
        }

        @Test
        void for_patient_scopes_without_a_patient_in_context() {
            String launch = f.launch(browser, SANDBOX, null, APP);
            Map<String, String> params = f.authorizeParams(SANDBOX, APP, launch, "launch patient/Patient.read", null);

            assertRedirectError(f.authorize(browser, SANDBOX, params), params, "access_denied", "oauth2:grant:missing-patient");
        }
    }

    @Test
    void a_missing_pkce_challenge_is_accepted_by_default() {
        Map<String, String> params = with(with(params(), "code_challenge", null), "code_challenge_method", null);

        assertThat(f.authorize(browser, SANDBOX, params).status()).isEqualTo(200);
    }

    @Test
    void a_launch_value_is_never_echoed_into_pages() {
        Map<String, String> params = params(SANDBOX, APP, "launch");
        Browser.Reply login = f.authorize(browser, SANDBOX, params);

        assertThat(login.status()).isEqualTo(200);
        assertThat(login.body()).doesNotContain(params.get("launch"));
        assertThat(f.sim.requestLog().entries()).isNotEmpty().noneMatch(r -> r.path().contains(params.get("launch")));
    }
}
