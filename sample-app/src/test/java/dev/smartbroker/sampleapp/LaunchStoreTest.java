package dev.smartbroker.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;

class LaunchStoreTest {

    private static final ClientRegistration KEYCLOAK = ClientRegistration.withRegistrationId("keycloak").clientId("sample-app")
            .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE).redirectUri("{baseUrl}/cb")
            .authorizationUri("http://127.0.0.1/auth").tokenUri("http://127.0.0.1/token").build();

    private final LaunchStore store = new LaunchStore(2);

    static OAuth2AccessToken accessToken(Map<String, Object> claims) {
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder();
        claims.forEach(builder::claim);
        return new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, new PlainJWT(builder.build()).serialize(),
                Instant.now(), Instant.now().plusSeconds(300));
    }

    static LaunchStore.Launch launch(String id) {
        DefaultOidcUser user = new DefaultOidcUser(List.of(new SimpleGrantedAuthority("OIDC_USER")),
                new OidcIdToken("id-token-" + id, Instant.now(), Instant.now().plusSeconds(300), Map.of("sub", "clinician-1")));
        OAuth2AuthenticationToken login = new OAuth2AuthenticationToken(user, user.getAuthorities(), "keycloak");
        return new LaunchStore.Launch(new LaunchAuthentication(id, login),
                new OAuth2AuthorizedClient(KEYCLOAK, "clinician-1", accessToken(Map.of("smart_launch", id))));
    }

    private static MockHttpServletRequest in(MockHttpSession browser) {
        MockHttpServletRequest request = new MockHttpServletRequest();
        request.setSession(browser);
        return request;
    }

    @Test
    void launches_are_kept_by_launch_id_per_browser() {
        MockHttpSession browser = new MockHttpSession();
        MockHttpSession other = new MockHttpSession();
        store.put(in(browser), launch("wilma"));
        store.put(in(browser), launch("timmy"));
        assertThat(store.find(in(browser), "wilma")).get().extracting(LaunchStore.Launch::id).isEqualTo("wilma");
        assertThat(store.find(in(browser), "timmy")).get().extracting(LaunchStore.Launch::id).isEqualTo("timmy");
        assertThat(store.find(in(other), "wilma")).isEmpty();
        assertThat(store.find(in(browser), null)).isEmpty();
    }

    @Test
    void beyond_capacity_the_oldest_launch_is_dropped() {
        MockHttpSession browser = new MockHttpSession();
        store.put(in(browser), launch("a"));
        store.put(in(browser), launch("b"));
        store.put(in(browser), launch("c"));
        assertThat(store.find(in(browser), "a")).isEmpty();
        assertThat(store.size(in(browser))).isEqualTo(2);
    }

    @Test
    void new_tokens_replace_those_of_a_held_launch_only() {
        MockHttpSession browser = new MockHttpSession();
        store.put(in(browser), launch("wilma"));
        OAuth2AuthorizedClient refreshed = new OAuth2AuthorizedClient(KEYCLOAK, "clinician-1",
                accessToken(Map.of("smart_launch", "wilma", "jti", "second")));
        assertThat(store.replaceClient(in(browser), "wilma", refreshed)).isTrue();
        assertThat(store.find(in(browser), "wilma")).get().extracting(LaunchStore.Launch::client).isSameAs(refreshed);
        assertThat(store.replaceClient(in(browser), "gone", refreshed)).isFalse();
        assertThat(store.find(in(browser), "gone")).isEmpty();
    }

    @Test
    void a_removed_launch_is_gone_and_the_others_stay() {
        MockHttpSession browser = new MockHttpSession();
        store.put(in(browser), launch("wilma"));
        store.put(in(browser), launch("timmy"));
        store.remove(in(browser), "wilma");
        assertThat(store.find(in(browser), "wilma")).isEmpty();
        assertThat(store.find(in(browser), "timmy")).isPresent();
    }

    @Test
    void looking_up_creates_no_session() {
        MockHttpServletRequest request = new MockHttpServletRequest();
        assertThat(store.find(request, "wilma")).isEmpty();
        assertThat(request.getSession(false)).isNull();
    }

    @Test
    void the_launch_id_is_the_smart_launch_claim_of_the_access_token() {
        assertThat(LaunchStore.launchIdOf(accessToken(Map.of("smart_launch", "Abc123_-x")))).isEqualTo("Abc123_-x");
        assertThat(LaunchStore.launchIdOf(accessToken(Map.of("patient", "12724065")))).isNull();
        assertThat(LaunchStore.launchIdOf(accessToken(Map.of("smart_launch", "../x")))).isNull();
        assertThat(LaunchStore.launchIdOf(accessToken(Map.of("smart_launch", 42)))).isNull();
        assertThat(LaunchStore.launchIdOf(new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "opaque",
                Instant.now(), Instant.now().plusSeconds(1)))).isNull();
    }

    @Test
    void the_url_names_the_launch() {
        assertThat(LaunchUrls.launchIdOf(new MockHttpServletRequest("GET", "/launch/Abc"))).isEqualTo("Abc");
        assertThat(LaunchUrls.launchIdOf(new MockHttpServletRequest("POST", "/launch/Abc/refresh"))).isEqualTo("Abc");
        assertThat(LaunchUrls.launchIdOf(new MockHttpServletRequest("GET", "/launch/a%2Fb"))).isNull();
        assertThat(LaunchUrls.launchIdOf(new MockHttpServletRequest("GET", "/launch/Abc/x/y"))).isNull();
        assertThat(LaunchUrls.launchIdOf(new MockHttpServletRequest("GET", "/"))).isNull();
        assertThat(LaunchUrls.isSignOut(new MockHttpServletRequest("POST", "/launch/Abc/logout"))).isTrue();
        assertThat(LaunchUrls.isSignOut(new MockHttpServletRequest("GET", "/launch/Abc/logout"))).isFalse();
        assertThat(LaunchUrls.isSignOut(new MockHttpServletRequest("POST", "/launch/logout"))).isFalse();
        assertThat(LaunchUrls.isSignOut(new MockHttpServletRequest("POST", "/logout"))).isFalse();
    }
}
