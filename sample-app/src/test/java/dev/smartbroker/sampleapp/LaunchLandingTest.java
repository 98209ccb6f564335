package dev.smartbroker.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.web.util.UriComponentsBuilder;

@SpringBootTest(properties = {"sample.keycloak.url=http://127.0.0.1:18080", "sample.keycloak.realm=smart"})
@AutoConfigureMockMvc
class LaunchLandingTest {

    @Autowired
    private MockMvc mvc;

    @Test
    void a_launch_landing_starts_a_login_that_carries_the_launch_handle_and_pkce() throws Exception {
        MockHttpSession session = new MockHttpSession();
        MvcResult landing = mvc.perform(get("/").param("kc_launch", "H4ndle").session(session)).andReturn();
        assertThat(landing.getResponse().getRedirectedUrl()).isEqualTo("/oauth2/authorization/keycloak?kc_launch=H4ndle");

        MvcResult authorize = mvc.perform(get(URI.create(landing.getResponse().getRedirectedUrl())).session(session)).andReturn();
        URI keycloak = URI.create(authorize.getResponse().getRedirectedUrl());
        var params = UriComponentsBuilder.fromUri(keycloak).build().getQueryParams();
        assertThat(keycloak.getPath()).isEqualTo("/realms/smart/protocol/openid-connect/auth");
        assertThat(params.getFirst("kc_launch")).isEqualTo("H4ndle");
        assertThat(params.getFirst("code_challenge")).isNotBlank();
        assertThat(params.getFirst("code_challenge_method")).isEqualTo("S256");
        assertThat(params.getFirst("client_id")).isEqualTo("sample-app");
    }

    @Test
    void a_login_start_without_a_handle_forwards_none_and_a_plain_visit_starts_no_login() throws Exception {
        MvcResult start = mvc.perform(get("/oauth2/authorization/keycloak")).andReturn();
        assertThat(start.getResponse().getRedirectedUrl()).startsWith("http://127.0.0.1:18080/realms/smart/").doesNotContain("kc_launch");

        MvcResult plain = mvc.perform(get("/")).andReturn();
        assertThat(plain.getResponse().getStatus()).isEqualTo(200);
        assertThat(plain.getResponse().getRedirectedUrl()).isNull();
    }

    @Test
    void two_landings_in_one_browser_each_forward_their_own_handle() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String first = mvc.perform(get("/").param("kc_launch", "First").session(browser)).andReturn().getResponse().getRedirectedUrl();
        String second = mvc.perform(get("/").param("kc_launch", "Second").session(browser)).andReturn().getResponse().getRedirectedUrl();
        // The earlier tab goes on only now: it must still carry its own handle, not the later one.
        String firstAtKeycloak = mvc.perform(get(URI.create(first)).session(browser)).andReturn().getResponse().getRedirectedUrl();
        String secondAtKeycloak = mvc.perform(get(URI.create(second)).session(browser)).andReturn().getResponse().getRedirectedUrl();
        assertThat(UriComponentsBuilder.fromUriString(firstAtKeycloak).build().getQueryParams().getFirst("kc_launch")).isEqualTo("First");
        assertThat(UriComponentsBuilder.fromUriString(secondAtKeycloak).build().getQueryParams().getFirst("kc_launch")).isEqualTo("Second");
    }

    @Test
    void a_new_landing_keeps_the_browser_session_of_the_other_tabs() throws Exception {
        MockHttpSession old = new MockHttpSession();
        old.setAttribute("marker", "another tab's launch");
        mvc.perform(get("/").param("kc_launch", "Second").session(old)).andReturn();
        assertThat(old.isInvalid()).isFalse();
        assertThat(old.getAttribute("marker")).isEqualTo("another tab's launch");
    }

    @Test
    void a_handle_that_cannot_be_one_is_refused_and_not_echoed() throws Exception {
        MvcResult landing = mvc.perform(get("/").param("kc_launch", "<script>x</script>")).andReturn();
        assertThat(landing.getResponse().getStatus()).isEqualTo(400);
        assertThat(landing.getResponse().getRedirectedUrl()).isNull();
        assertThat(landing.getResponse().getContentAsString()).contains(Pages.esc(Pages.LAUNCH_ENDED)).doesNotContain("<script", "x</");
    }
}
