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
        assertThat(landing.getResponse().getRedirectedUrl()).isEqualTo("/oauth2/authorization/keycloak");

        MockHttpSession loginSession = (MockHttpSession) landing.getRequest().getSession(false);
        MvcResult authorize = mvc.perform(get("/oauth2/authorization/keycloak").session(loginSession)).andReturn();
        URI keycloak = URI.create(authorize.getResponse().getRedirectedUrl());
        var params = UriComponentsBuilder.fromUri(keycloak).build().getQueryParams();
        assertThat(keycloak.getPath()).isEqualTo("/realms/smart/protocol/openid-connect/auth");
        assertThat(params.getFirst("kc_launch")).isEqualTo("H4ndle");
        assertThat(params.getFirst("code_challenge")).isNotBlank();
        assertThat(params.getFirst("code_challenge_method")).isEqualTo("S256");
        assertThat(params.getFirst("client_id")).isEqualTo("sample-app");
    }

    @Test
    void the_handle_is_forwarded_once_and_a_plain_visit_carries_none() throws Exception {
        MvcResult landing = mvc.perform(get("/").param("kc_launch", "Once")).andReturn();
        MockHttpSession session = (MockHttpSession) landing.getRequest().getSession(false);
        mvc.perform(get("/oauth2/authorization/keycloak").session(session)).andReturn();
        MvcResult again = mvc.perform(get("/oauth2/authorization/keycloak").session(session)).andReturn();
        assertThat(again.getResponse().getRedirectedUrl()).doesNotContain("kc_launch");

        MvcResult plain = mvc.perform(get("/")).andReturn();
        assertThat(plain.getResponse().getRedirectedUrl()).endsWith("/oauth2/authorization/keycloak");
    }

    @Test
    void a_new_launch_replaces_an_existing_app_session() throws Exception {
        MockHttpSession old = new MockHttpSession();
        old.setAttribute("marker", "previous launch");
        MvcResult landing = mvc.perform(get("/").param("kc_launch", "Second").session(old)).andReturn();
        assertThat(old.isInvalid()).isTrue();
        assertThat(landing.getRequest().getSession(false)).isNotSameAs(old);
    }
}
