package dev.smartbroker.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.util.HtmlUtils;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * One browser (one HTTP session), several tabs (several launches): the app's real filter chain, login callback,
 * refreshes and banner reads, against {@link FakeKeycloak}.
 */
@SpringBootTest
@AutoConfigureMockMvc
class LaunchTabsTest {

    private static final String WILMA = "12724065";
    private static final String TIMMY = "12724069";
    private static final FakeKeycloak KEYCLOAK = FakeKeycloak.start();

    @Autowired
    private MockMvc mvc;

    @DynamicPropertySource
    static void keycloak(DynamicPropertyRegistry properties) {
        properties.add("sample.keycloak.url", KEYCLOAK::url);
        properties.add("sample.keycloak.realm", () -> "smart");
    }

    @AfterAll
    static void stop() {
        KEYCLOAK.close();
    }

    @BeforeEach
    void reset() {
        KEYCLOAK.reset();
    }

    /** A login the app started and sent to Keycloak. */
    private record Started(String state, String nonce, MultiValueMap<String, String> params) {
    }

    /** The page a browser sees: status and HTML. */
    private record Page(int status, String html, String location) {

        String text(String id) {
            Matcher matcher = Pattern.compile("id=\"" + Pattern.quote(id) + "\"[^>]*>([^<]*)<").matcher(html);
            return matcher.find() ? HtmlUtils.htmlUnescape(matcher.group(1)) : null;
        }

        String csrf() {
            Matcher matcher = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(html);
            assertThat(matcher.find()).as("a form with a CSRF token in " + html).isTrue();
            return matcher.group(1);
        }
    }

    /** A URL's query parameters, decoded. */
    static MultiValueMap<String, String> query(URI uri) {
        MultiValueMap<String, String> decoded = new LinkedMultiValueMap<>();
        UriComponentsBuilder.fromUri(uri).build().getQueryParams().forEach((name, values) -> values.forEach(value ->
                decoded.add(name, value == null ? null : URLDecoder.decode(value, StandardCharsets.UTF_8))));
        return decoded;
    }

    private Page page(MockHttpServletResponse response) throws Exception {
        return new Page(response.getStatus(), response.getContentAsString(), response.getRedirectedUrl() != null
                ? response.getRedirectedUrl() : response.getHeader("Location"));
    }

    /** The EHR lands the browser on the app with a launch handle; the app starts its login. */
    private Started land(MockHttpSession browser, String handle) throws Exception {
        MockHttpServletResponse landing = mvc.perform(get("/").param("kc_launch", handle).session(browser)).andReturn().getResponse();
        assertThat(landing.getRedirectedUrl()).isEqualTo("/oauth2/authorization/keycloak?kc_launch=" + handle);
        MockHttpServletResponse start = mvc.perform(get(URI.create(landing.getRedirectedUrl())).session(browser)).andReturn().getResponse();
        URI authorize = URI.create(start.getRedirectedUrl());
        assertThat(authorize.toString()).startsWith(KEYCLOAK.issuer() + "/protocol/openid-connect/auth?");
        MultiValueMap<String, String> params = query(authorize);
        assertThat(params.getFirst("kc_launch")).isEqualTo(handle);
        return new Started(params.getFirst("state"), params.getFirst("nonce"), params);
    }

    /** Keycloak sends the browser back with a code for {@code launchId}; returns where the app sends it then. */
    private Page callback(MockHttpSession browser, Started login, String launchId, String patient) throws Exception {
        return page(mvc.perform(get("/login/oauth2/code/keycloak").param("code", KEYCLOAK.code(login.nonce(), launchId, patient))
                .param("state", login.state()).session(browser)).andReturn().getResponse());
    }

    private String launch(MockHttpSession browser, String handle, String launchId, String patient) throws Exception {
        Page back = callback(browser, land(browser, handle), launchId, patient);
        assertThat(back.location()).isEqualTo("/launch/" + launchId);
        return back.location();
    }

    private Page show(MockHttpSession browser, String path) throws Exception {
        return page(mvc.perform(get(URI.create(path)).session(browser)).andReturn().getResponse());
    }

    private Page refreshNow(MockHttpSession browser, String launchPath, String csrf) throws Exception {
        return page(mvc.perform(post(launchPath + "/refresh").param("_csrf", csrf).session(browser)).andReturn().getResponse());
    }

    private static void assertShows(Page page, String launchId, String patient) {
        assertThat(page.status()).as(page.html()).isEqualTo(200);
        assertThat(page.text("banner-name")).isEqualTo(FakeKeycloak.PATIENT_NAMES.get(patient));
        assertThat(page.text("banner-patient")).isEqualTo(patient);
        assertThat(page.text("id-patient")).isEqualTo(patient);
        assertThat(page.text("at-patient")).isEqualTo(patient);
        assertThat(page.text("at-smart_launch")).isEqualTo(launchId);
        assertThat(page.html()).as("no token on the page outside the demo").doesNotContain("curl-launch-token");
    }

    @Test
    void two_tabs_whose_logins_interleave_each_show_their_own_launch() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        // Both logins in flight at once; the later one comes back first.
        Started wilma = land(browser, "handle-wilma");
        Started timmy = land(browser, "handle-timmy");
        assertThat(wilma.state()).isNotEqualTo(timmy.state());
        Page timmyBack = callback(browser, timmy, "launch-timmy", TIMMY);
        Page wilmaBack = callback(browser, wilma, "launch-wilma", WILMA);
        assertThat(timmyBack.location()).isEqualTo("/launch/launch-timmy");
        assertThat(wilmaBack.location()).isEqualTo("/launch/launch-wilma");

        // Reloading either tab, in any order, shows its own launch.
        for (int reload = 0; reload < 2; reload++) {
            assertShows(show(browser, "/launch/launch-wilma"), "launch-wilma", WILMA);
            assertShows(show(browser, "/launch/launch-timmy"), "launch-timmy", TIMMY);
        }
    }

    @Test
    void refresh_now_refreshes_only_the_launch_of_its_page() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        String timmy = launch(browser, "h2", "launch-timmy", TIMMY);
        Page before = show(browser, wilma);
        String timmyToken = show(browser, timmy).text("at-jti");

        Page refreshed = refreshNow(browser, wilma, before.csrf());
        assertThat(refreshed.status()).isEqualTo(303);
        assertThat(refreshed.location()).isEqualTo(wilma);
        assertThat(KEYCLOAK.refreshed()).containsExactly("launch-wilma");

        Page after = show(browser, wilma);
        assertShows(after, "launch-wilma", WILMA);
        assertThat(after.text("at-jti")).isNotBlank().isNotEqualTo(before.text("at-jti"));
        Page timmyAfter = show(browser, timmy);
        assertShows(timmyAfter, "launch-timmy", TIMMY);
        assertThat(timmyAfter.text("at-jti")).isEqualTo(timmyToken);
    }

    @Test
    void an_access_token_about_to_expire_is_refreshed_when_its_page_is_shown() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        KEYCLOAK.expiresIn(30); // inside Spring's 60 s clock skew: due for refresh at once
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        assertThat(KEYCLOAK.refreshed()).isEmpty();
        assertShows(show(browser, wilma), "launch-wilma", WILMA);
        assertThat(KEYCLOAK.refreshed()).containsExactly("launch-wilma");
    }

    @Test
    void a_refused_refresh_ends_that_launch_and_leaves_the_others() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        String timmy = launch(browser, "h2", "launch-timmy", TIMMY);
        String csrf = show(browser, wilma).csrf();
        KEYCLOAK.refuseRefresh(true);

        Page refused = refreshNow(browser, wilma, csrf);
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.text("launch-ended")).isEqualTo(Pages.LAUNCH_ENDED);
        assertThat(show(browser, wilma).status()).isEqualTo(404);
        assertShows(show(browser, timmy), "launch-timmy", TIMMY);
    }

    @Test
    void an_authorization_response_whose_request_is_gone_gets_a_plain_page() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        land(browser, "h1");
        Page page = page(mvc.perform(get("/login/oauth2/code/keycloak").param("code", "c")
                .param("state", "<script>alert(1)</script>").session(browser)).andReturn().getResponse());
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.text("launch-ended")).isEqualTo(Pages.LAUNCH_ENDED);
        assertThat(page.html()).doesNotContain("<script", "Invalid credentials", "authorization_request_not_found", "Whitelabel");
    }

    @Test
    void an_error_from_keycloak_gets_the_same_page_and_is_not_echoed() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        Started login = land(browser, "h1");
        Page page = page(mvc.perform(get("/login/oauth2/code/keycloak").param("error", "access_denied")
                .param("error_description", "<b>nope</b>").param("state", login.state()).session(browser)).andReturn().getResponse());
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.text("launch-ended")).isEqualTo(Pages.LAUNCH_ENDED);
        assertThat(page.html()).doesNotContain("nope", "access_denied");
    }

    @Test
    void a_code_keycloak_refuses_gets_the_expired_page_and_leaves_the_other_launches() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        Started first = land(browser, "h1");
        String code = KEYCLOAK.code(first.nonce(), "launch-wilma", WILMA);
        Page signedIn = page(mvc.perform(get("/login/oauth2/code/keycloak").param("code", code).param("state", first.state())
                .session(browser)).andReturn().getResponse());
        assertThat(signedIn.location()).isEqualTo("/launch/launch-wilma");

        // The same code again (a replayed redirect), then one Keycloak never issued or no longer has (it expired, or a
        // restart of the whole cluster lost it): Keycloak answers invalid_grant "Code not valid" to both.
        Started replay = land(browser, "h2");
        Page replayed = page(mvc.perform(get("/login/oauth2/code/keycloak").param("code", code).param("state", replay.state())
                .session(browser)).andReturn().getResponse());
        Started lost = land(browser, "h3");
        Page unknown = page(mvc.perform(get("/login/oauth2/code/keycloak").param("code", "lost-in-a-restart")
                .param("state", lost.state()).session(browser)).andReturn().getResponse());
        for (Page page : List.of(replayed, unknown)) {
            assertThat(page.status()).isEqualTo(400);
            assertThat(page.text("launch-expired")).isEqualTo(Pages.LAUNCH_EXPIRED);
            assertThat(page.html()).contains("<title>Launch expired</title>")
                    .doesNotContain("invalid_grant", "Code not valid", "Whitelabel", "Exception", "lost-in-a-restart");
        }
        assertShows(show(browser, signedIn.location()), "launch-wilma", WILMA);
    }

    @Test
    void beyond_the_bound_the_oldest_pending_login_is_forgotten() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        Started oldest = land(browser, "h0");
        Started newest = null;
        for (int i = 1; i <= SecurityConfig.PENDING_LOGINS; i++) {
            newest = land(browser, "h" + i);
        }
        assertThat(callback(browser, oldest, "launch-old", WILMA).status()).isEqualTo(400);
        assertThat(callback(browser, newest, "launch-new", TIMMY).location()).isEqualTo("/launch/launch-new");
    }

    @Test
    void a_sign_in_that_carries_no_launch_is_not_kept() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        Page back = callback(browser, land(browser, "h1"), null, null);
        assertThat(back.status()).isEqualTo(400);
        assertThat(back.text("launch-ended")).isEqualTo(Pages.LAUNCH_ENDED);
    }

    @Test
    void a_launch_page_needs_the_browser_that_holds_the_launch() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        Page elsewhere = show(new MockHttpSession(), wilma);
        assertThat(elsewhere.status()).isEqualTo(404);
        assertThat(elsewhere.text("launch-ended")).isEqualTo(Pages.LAUNCH_ENDED);
        assertThat(show(browser, "/launch/never-launched").status()).isEqualTo(404);
        assertThat(show(browser, "/launch/bad%3Cid%3E").html()).doesNotContain("<id>", "bad");
    }

    @Test
    void the_bare_home_page_asks_to_open_the_app_from_the_chart_even_with_one_launch_held() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        assertThat(show(browser, "/").text("no-launch")).isEqualTo(Pages.NO_LAUNCH);
        launch(browser, "h1", "launch-wilma", WILMA);
        Page home = show(browser, "/");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.text("no-launch")).isEqualTo(Pages.NO_LAUNCH);
        assertThat(home.html()).doesNotContain(WILMA);
    }

    @Test
    void a_new_landing_leaves_the_other_tabs_launches_alone() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        land(browser, "h2");
        assertThat(browser.isInvalid()).isFalse();
        assertShows(show(browser, wilma), "launch-wilma", WILMA);
    }

    @Test
    void a_form_shown_before_another_tabs_login_sends_its_tab_back_to_its_page() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        String staleCsrf = show(browser, wilma).csrf();
        launch(browser, "h2", "launch-timmy", TIMMY); // Spring rotates the CSRF token at every login

        Page stale = refreshNow(browser, wilma, staleCsrf);
        assertThat(stale.status()).isEqualTo(303);
        assertThat(stale.location()).isEqualTo(wilma + "?outdated=1");
        assertThat(KEYCLOAK.refreshed()).isEmpty();
        Page back = show(browser, stale.location());
        assertShows(back, "launch-wilma", WILMA);
        assertThat(back.text("notice")).isEqualTo(Pages.OUTDATED);
        assertThat(refreshNow(browser, wilma, back.csrf()).status()).isEqualTo(303);
        assertThat(KEYCLOAK.refreshed()).containsExactly("launch-wilma");
    }

    @Test
    void sign_out_goes_through_keycloak_and_drops_every_launch_of_the_browser() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        String timmy = launch(browser, "h2", "launch-timmy", TIMMY);
        String csrf = show(browser, timmy).csrf();

        Page out = page(mvc.perform(post(timmy + "/logout").param("_csrf", csrf).session(browser)).andReturn().getResponse());
        assertThat(out.status()).isEqualTo(302);
        URI endSession = URI.create(out.location());
        assertThat(endSession.toString()).startsWith(KEYCLOAK.issuer() + "/protocol/openid-connect/logout?");
        MultiValueMap<String, String> params = query(endSession);
        assertThat(params.getFirst("id_token_hint")).isEqualTo(KEYCLOAK.idToken("launch-timmy"));
        assertThat(params.getFirst("post_logout_redirect_uri")).isEqualTo("http://localhost/logged-out");
        assertThat(browser.isInvalid()).isTrue();

        assertThat(show(browser, wilma).status()).isEqualTo(404);
        assertThat(show(browser, timmy).status()).isEqualTo(404);
        Page loggedOut = show(browser, "/logged-out");
        assertThat(loggedOut.status()).isEqualTo(200);
        assertThat(loggedOut.text("logged-out")).isEqualTo("Signed out.");
    }

    @Test
    void sign_out_needs_the_page_s_csrf_token() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        Page forged = page(mvc.perform(post(wilma + "/logout").session(browser)).andReturn().getResponse());
        assertThat(forged.status()).isEqualTo(303);
        assertThat(browser.isInvalid()).isFalse();
        assertShows(show(browser, wilma), "launch-wilma", WILMA);
    }

    @Test
    void spring_s_own_login_and_logout_pages_are_gone() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        for (String path : new String[] {"/login", "/logout", "/login?error"}) {
            Page page = show(browser, path);
            assertThat(page.status()).as(path).isEqualTo(404);
            assertThat(page.html()).as(path).doesNotContain("Please sign in", "Are you sure", "Invalid credentials", "Whitelabel");
        }
    }

    @Test
    void launch_pages_keep_their_url_to_themselves() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = launch(browser, "h1", "launch-wilma", WILMA);
        MockHttpServletResponse response = mvc.perform(get(wilma).session(browser)).andReturn().getResponse();
        assertThat(response.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(response.getHeader("Content-Security-Policy")).contains("default-src 'none'");
        assertThat(response.getHeader("Cache-Control")).contains("no-store");
    }
}
