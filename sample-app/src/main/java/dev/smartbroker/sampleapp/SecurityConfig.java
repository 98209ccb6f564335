package dev.smartbroker.sampleapp;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.oidc.web.logout.OidcClientInitiatedLogoutSuccessHandler;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizationRequestResolver;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestCustomizers;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.oidc.IdTokenClaimNames;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.savedrequest.NullRequestCache;

/**
 * Ordinary Spring Security OIDC login against Keycloak, with its state kept per launch instead of per browser
 * (see {@link LaunchStore}), plus the launch landing habits of {@link LaunchLanding}.
 */
@Configuration
class SecurityConfig {

    static final String REGISTRATION_ID = "keycloak";
    /** Launches one browser keeps at once: more than a clinician has tabs open, few enough to bound the session. */
    static final int LAUNCHES_PER_BROWSER = 20;
    /** Logins one browser may have in flight at once, and how long one may take (Cerner sign-in included). */
    static final int PENDING_LOGINS = 10;
    static final Duration PENDING_LOGIN_MAX_AGE = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(SecurityConfig.class);
    private static final Pattern ERROR_CODE = Pattern.compile("[a-z_]{1,64}");

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
                // Sign-out goes through Keycloak so its session ends too (RP-initiated logout).
                .providerConfigurationMetadata(Map.of("end_session_endpoint", oidc + "/logout"))
                .build();
        return new InMemoryClientRegistrationRepository(registration);
    }

    @Bean
    LaunchStore launchStore() {
        return new LaunchStore(LAUNCHES_PER_BROWSER);
    }

    @Bean
    OAuth2AuthorizedClientRepository authorizedClients(LaunchStore launches) {
        return new LaunchAuthorizedClients(launches);
    }

    /** Used by {@code @RegisteredOAuth2AuthorizedClient}: refreshes a launch's tokens when they are about to expire. */
    @Bean
    OAuth2AuthorizedClientManager authorizedClientManager(ClientRegistrationRepository registrations,
                                                          OAuth2AuthorizedClientRepository authorizedClients) {
        DefaultOAuth2AuthorizedClientManager manager = new DefaultOAuth2AuthorizedClientManager(registrations, authorizedClients);
        manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder().refreshToken().build());
        return manager;
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http, ClientRegistrationRepository registrations, LaunchStore launches,
                                 OAuth2AuthorizedClientRepository authorizedClients) throws Exception {
        DefaultOAuth2AuthorizationRequestResolver resolver = new DefaultOAuth2AuthorizationRequestResolver(
                registrations, OAuth2AuthorizationRequestRedirectFilter.DEFAULT_AUTHORIZATION_REQUEST_BASE_URI);
        // PKCE for this confidential client too: the broker binds each launch to the request's S256 challenge.
        resolver.setAuthorizationRequestCustomizer(OAuth2AuthorizationRequestCustomizers.withPkce()
                .andThen(LaunchLanding.forwardLaunchHandle()));
        OidcClientInitiatedLogoutSuccessHandler keycloakLogout = new OidcClientInitiatedLogoutSuccessHandler(registrations);
        keycloakLogout.setPostLogoutRedirectUri("{baseUrl}/logged-out");
        keycloakLogout.setDefaultTargetUrl("/logged-out"); // a tab whose launch was already gone: nothing to end at Keycloak
        http
                .securityContext(context -> context.securityContextRepository(new LaunchSecurityContexts(launches)))
                // A saved request is per browser, and a launch page is reached by launching, never by replaying one.
                .requestCache(cache -> cache.requestCache(new NullRequestCache()))
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/", "/logged-out", "/error", "/favicon.ico").permitAll()
                        .requestMatchers("/launch/**").authenticated()
                        .anyRequest().denyAll())
                .exceptionHandling(errors -> errors
                        // Unauthenticated on a launch URL means this browser does not hold that launch (any more).
                        .authenticationEntryPoint((request, response, e) -> Pages.write(response, HttpStatus.NOT_FOUND.value(),
                                LaunchUrls.isLaunchPath(request) ? Pages.launchEnded() : Pages.error(HttpStatus.NOT_FOUND.value())))
                        // Each login rotates the browser's CSRF token, so another tab's login makes this tab's forms
                        // stale: send it back to its own page (with a fresh token) instead of a bare 403.
                        .accessDeniedHandler((request, response, e) -> {
                            String launch = LaunchUrls.launchIdOf(request);
                            if (e instanceof CsrfException && launch != null) {
                                response.setStatus(HttpStatus.SEE_OTHER.value());
                                response.setHeader("Location", request.getContextPath() + LaunchUrls.page(launch) + "?outdated=1");
                            } else {
                                Pages.write(response, HttpStatus.FORBIDDEN.value(), Pages.error(HttpStatus.FORBIDDEN.value()));
                            }
                        }))
                .addFilterBefore(new LaunchLanding(), OAuth2AuthorizationRequestRedirectFilter.class)
                .oauth2Login(login -> login
                        .loginPage("/") // there is no login page: logins start from a launch
                        .authorizationEndpoint(endpoint -> endpoint
                                .authorizationRequestResolver(resolver)
                                .authorizationRequestRepository(new PendingAuthorizationRequests(Clock.systemUTC(),
                                        PENDING_LOGINS, PENDING_LOGIN_MAX_AGE)))
                        .authorizedClientRepository(authorizedClients)
                        .successHandler((request, response, authentication) -> {
                            if (request.getAttribute(LaunchAuthorizedClients.SIGNED_IN_LAUNCH) instanceof String launch) {
                                response.sendRedirect(request.getContextPath() + LaunchUrls.page(launch));
                            } else {
                                Pages.write(response, HttpStatus.BAD_REQUEST.value(), Pages.launchEnded());
                            }
                        })
                        .failureHandler((request, response, e) -> {
                            String code = e instanceof OAuth2AuthenticationException oauth ? oauth.getError().getErrorCode() : null;
                            LOG.info("A login callback could not be completed: {}",
                                    code != null && ERROR_CODE.matcher(code).matches() ? code : e.getClass().getSimpleName());
                            Pages.write(response, HttpStatus.BAD_REQUEST.value(),
                                    codeRefused(e) ? Pages.launchExpired() : Pages.launchEnded());
                        }))
                .logout(logout -> logout
                        .logoutRequestMatcher(LaunchUrls::isSignOut)
                        // Ending the HTTP session drops every launch of this browser; Keycloak then ends its own.
                        .invalidateHttpSession(true)
                        .logoutSuccessHandler(keycloakLogout))
                .headers(headers -> headers
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.NO_REFERRER))
                        .contentSecurityPolicy(csp -> csp.policyDirectives(
                                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'")));
        return http.build();
    }

    /**
     * Keycloak's token endpoint refused the login's code: Spring wraps the token endpoint's error response in an
     * {@link OAuth2AuthorizationException} under the login failure. Keycloak answers {@code invalid_grant} for a code
     * that expired, was used already, or was lost with the launch (a restart of the whole cluster, see
     * docs/production.md §8). An {@code error} on the authorization response itself has no such cause.
     */
    static boolean codeRefused(AuthenticationException failure) {
        return failure instanceof OAuth2AuthenticationException oauth
                && OAuth2ErrorCodes.INVALID_GRANT.equals(oauth.getError().getErrorCode())
                && failure.getCause() instanceof OAuth2AuthorizationException;
    }
}
