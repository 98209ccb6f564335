package dev.smartbroker.sampleapp;

import java.time.Clock;
import java.time.Duration;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizationRequestResolver;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestCustomizers;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.IdTokenClaimNames;
import org.springframework.security.web.SecurityFilterChain;

/** Ordinary Spring Security OIDC login against Keycloak, plus two launch-friendly habits (see {@link LaunchLanding}). */
@Configuration
class SecurityConfig {

    static final String REGISTRATION_ID = "keycloak";
    /** Logins one browser may have in flight at once, and how long one may take (Cerner sign-in included). */
    static final int PENDING_LOGINS = 10;
    static final Duration PENDING_LOGIN_MAX_AGE = Duration.ofMinutes(10);

    @Bean
    ClientRegistrationRepository clientRegistrations(KeycloakProperties keycloak) {
        String issuer = keycloak.issuer();
        String oidc = issuer + "/protocol/openid-connect";
        // Endpoints are given explicitly so the app starts even before Keycloak does.
        ClientRegistration registration = ClientRegistration.withRegistrationId(REGISTRATION_ID)
                .clientId(keycloak.clientId())
                .clientSecret(keycloak.secret())
                .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                .redirectUri("{baseUrl}/login/oauth2/code/{registrationId}")
                .scope("openid", "profile")
                .authorizationUri(oidc + "/auth")
                .tokenUri(oidc + "/token")
                .jwkSetUri(oidc + "/certs")
                .userInfoUri(oidc + "/userinfo")
                .userNameAttributeName(IdTokenClaimNames.SUB)
                .issuerUri(issuer)
                .build();
        return new InMemoryClientRegistrationRepository(registration);
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http, ClientRegistrationRepository registrations) throws Exception {
        DefaultOAuth2AuthorizationRequestResolver resolver = new DefaultOAuth2AuthorizationRequestResolver(
                registrations, OAuth2AuthorizationRequestRedirectFilter.DEFAULT_AUTHORIZATION_REQUEST_BASE_URI);
        // PKCE for this confidential client too: the broker binds each launch to the request's S256 challenge.
        resolver.setAuthorizationRequestCustomizer(OAuth2AuthorizationRequestCustomizers.withPkce()
                .andThen(LaunchLanding.forwardLaunchHandle()));
        http
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/actuator/health", "/error", "/favicon.ico").permitAll()
                        .anyRequest().authenticated())
                .addFilterBefore(new LaunchLanding(), OAuth2AuthorizationRequestRedirectFilter.class)
                .oauth2Login(login -> login.authorizationEndpoint(a -> a
                        .authorizationRequestResolver(resolver)
                        .authorizationRequestRepository(new PendingAuthorizationRequests(Clock.systemUTC(), PENDING_LOGINS,
                                PENDING_LOGIN_MAX_AGE))))
                .logout(logout -> logout.logoutSuccessUrl("/logged-out").permitAll());
        return http.build();
    }
}
