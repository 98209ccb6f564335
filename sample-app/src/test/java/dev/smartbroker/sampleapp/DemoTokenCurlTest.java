package dev.smartbroker.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import java.net.URI;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.util.MultiValueMap;
import org.springframework.web.util.HtmlUtils;

/**
 * The demo's developer aid ({@code sample.show-token-curl=true}, set by {@code ./demo}): a launch's page carries a
 * ready curl for the launch-token API with that launch's own access token. Off by default ({@link LaunchTabsTest}).
 */
@SpringBootTest(properties = "sample.show-token-curl=true")
@AutoConfigureMockMvc
class DemoTokenCurlTest {

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

    /** Lands with a launch handle, logs in through the fake Keycloak, and returns the launch's page. */
    private String launchPage(MockHttpSession browser, String handle, String launchId, String patient) throws Exception {
        mvc.perform(get("/").param("kc_launch", handle).session(browser)).andReturn();
        MockHttpServletResponse start = mvc.perform(get("/oauth2/authorization/keycloak").param("kc_launch", handle).session(browser))
                .andReturn().getResponse();
        MultiValueMap<String, String> params = LaunchTabsTest.query(URI.create(start.getRedirectedUrl()));
        MockHttpServletResponse back = mvc.perform(get("/login/oauth2/code/keycloak")
                .param("code", KEYCLOAK.code(params.getFirst("nonce"), launchId, patient))
                .param("state", params.getFirst("state")).session(browser)).andReturn().getResponse();
        assertThat(back.getRedirectedUrl()).isEqualTo("/launch/" + launchId);
        return mvc.perform(get(URI.create(back.getRedirectedUrl())).session(browser)).andReturn().getResponse().getContentAsString();
    }

    private static String curl(String html) {
        int start = html.indexOf("<pre id=\"curl-launch-token\">");
        assertThat(start).as(html).isGreaterThanOrEqualTo(0);
        return HtmlUtils.htmlUnescape(html.substring(start + "<pre id=\"curl-launch-token\">".length(), html.indexOf("</pre>", start)));
    }

    @Test
    void each_launch_page_has_a_curl_with_its_own_access_token() throws Exception {
        MockHttpSession browser = new MockHttpSession();
        String wilma = curl(launchPage(browser, "h-wilma", "L-wilma", "12724065"));
        String timmy = curl(launchPage(browser, "h-timmy", "L-timmy", "12724069"));
        assertThat(wilma).startsWith("curl -H 'Authorization: Bearer ").endsWith("' " + KEYCLOAK.issuer() + "/smart/launch-token");
        assertThat(wilma).isNotEqualTo(timmy);
    }
}
