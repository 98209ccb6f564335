package dev.smartbroker.sampleapp;

import java.net.URI;
import java.text.ParseException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Pattern;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.RefreshTokenOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.annotation.RegisteredOAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.core.OAuth2AuthorizationException;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Shows what the app received for one launch: the launch context claims of its ID token and access token, and the
 * patient read with the Cerner token of that launch. Each page is {@code /launch/{id}}; the security context of the
 * request is that launch's login (see {@link LaunchSecurityContexts}), so nothing here can pick another tab's launch.
 */
@RestController
class LaunchController {

    private static final String[] CONTEXT_CLAIMS = {"patient", "encounter", "fhirUser", "tenant", "fhir_base", "smart_launch"};
    private static final Logger LOG = LoggerFactory.getLogger(LaunchController.class);
    private static final Pattern ERROR_CODE = Pattern.compile("[a-z_]{1,64}");

    private final PatientBanner banner;
    private final LaunchStore launches;
    private final DefaultOAuth2AuthorizedClientManager refreshNow;
    private final KeycloakProperties keycloak;
    /** Demo only ({@code SAMPLE_APP_SHOW_TOKEN_CURL=true}): a ready curl with this launch's access token. */
    private final boolean showTokenCurl;

    LaunchController(PatientBanner banner, LaunchStore launches, ClientRegistrationRepository registrations,
                     OAuth2AuthorizedClientRepository authorizedClients, KeycloakProperties keycloak,
                     @Value("${sample.show-token-curl:false}") boolean showTokenCurl) {
        this.banner = banner;
        this.launches = launches;
        this.keycloak = keycloak;
        this.showTokenCurl = showTokenCurl;
        // "Refresh now" runs Spring's own refresh, the one that otherwise happens shortly before expiry, only sooner:
        // with a clock skew longer than any token lives, every access token counts as about to expire.
        RefreshTokenOAuth2AuthorizedClientProvider dueNow = new RefreshTokenOAuth2AuthorizedClientProvider();
        dueNow.setClockSkew(ChronoUnit.DECADES.getDuration());
        this.refreshNow = new DefaultOAuth2AuthorizedClientManager(registrations, authorizedClients);
        this.refreshNow.setAuthorizedClientProvider(dueNow);
    }

    @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
    String home() {
        // Never "the only launch": a tab shows a patient only if the EHR opened it for that patient.
        return Pages.noLaunch();
    }

    @GetMapping(value = "/logged-out", produces = MediaType.TEXT_HTML_VALUE)
    String loggedOut() {
        return Pages.loggedOut();
    }

    @GetMapping(value = "/launch/{launch}", produces = MediaType.TEXT_HTML_VALUE)
    ResponseEntity<String> show(@PathVariable("launch") String launch, Authentication authentication,
                                @RegisteredOAuth2AuthorizedClient(SecurityConfig.REGISTRATION_ID) OAuth2AuthorizedClient client,
                                CsrfToken csrf, HttpServletRequest request) {
        if (!(authentication instanceof LaunchAuthentication login) || !login.launchId().equals(launch) || client == null) {
            return html(HttpStatus.NOT_FOUND, Pages.launchEnded());
        }
        OidcUser user = login.user();
        String accessToken = client.getAccessToken().getTokenValue();
        JWTClaimsSet accessClaims = claims(accessToken);
        StringBuilder html = new StringBuilder("<h1>Sample SMART app</h1>");
        if (request.getParameter("outdated") != null) {
            html.append("<p id=\"notice\" style=\"color:#8a4b00\">").append(Pages.esc(Pages.OUTDATED)).append("</p>");
        }
        PatientBanner.Banner patient = banner.load(accessToken);
        if (patient.sessionEnded()) {
            // The browser's Keycloak session ended, e.g. another clinician launched on this workstation: this tab must
            // neither go on as the previous clinician nor silently become the next one.
            launches.remove(request, launch);
            return html(HttpStatus.NOT_FOUND, Pages.launchEnded());
        }
        if (patient.error() == null) {
            html.append("<div id=\"banner\" style=\"background:#eef4fb;border:1px solid #9cc1e6;padding:.6rem 1rem;margin-bottom:1rem\">")
                    .append("<b id=\"banner-name\">").append(Pages.esc(patient.name())).append("</b> &middot; born <span id=\"banner-birthdate\">")
                    .append(Pages.esc(patient.birthDate())).append("</span> &middot; <span id=\"banner-gender\">").append(Pages.esc(patient.gender()))
                    .append("</span> &middot; id <span id=\"banner-patient\">").append(Pages.esc(patient.patientId())).append("</span></div>");
        } else {
            html.append("<p id=\"banner-error\">No patient banner: ").append(Pages.esc(patient.error())).append("</p>");
        }
        html.append("<p id=\"user\">Signed in as <b>").append(Pages.esc(user.getFullName() != null ? user.getFullName() : user.getSubject()))
                .append("</b></p>");
        html.append("<table id=\"context\"><tr><th>claim</th><th>ID token</th><th>access token</th></tr>");
        Map<String, Object> fromAccessToken = accessClaims == null ? Map.of() : accessClaims.getClaims();
        for (String claim : CONTEXT_CLAIMS) {
            html.append("<tr><td>").append(claim).append("</td><td id=\"id-").append(claim).append("\">")
                    .append(Pages.esc(user.getIdToken().getClaims().get(claim))).append("</td><td id=\"at-").append(claim).append("\">")
                    .append(Pages.esc(fromAccessToken.get(claim))).append("</td></tr>");
        }
        html.append("</table>");
        // Which access token this is, so a refresh is visible: its id and lifetime, never the token itself.
        html.append("<p id=\"token\">Access token <code id=\"at-jti\">").append(Pages.esc(accessClaims == null ? null : accessClaims.getJWTID()))
                .append("</code>, issued <span id=\"at-issued\">").append(Pages.esc(seconds(client.getAccessToken().getIssuedAt())))
                .append("</span>, expires <span id=\"at-expires\">").append(Pages.esc(seconds(client.getAccessToken().getExpiresAt())))
                .append("</span></p>");
        if (showTokenCurl) {
            // For the README's curl examples in the demo. A real app never shows its tokens.
            html.append("<details id=\"developer\"><summary>For developers (demo only): call the launch-token API with this"
                    + " launch's Keycloak access token</summary><pre id=\"curl-launch-token\">")
                    .append(Pages.esc("curl -H 'Authorization: Bearer " + accessToken + "' " + keycloak.issuer() + "/smart/launch-token"))
                    .append("</pre></details>");
        }
        String base = request.getContextPath() + LaunchUrls.page(launch);
        html.append(form(base + "/refresh", "refresh-now", "Refresh tokens now", csrf))
                .append(form(base + "/logout", "sign-out", "Sign out", csrf));
        return html(HttpStatus.OK, Pages.page("Sample SMART app", html.toString()));
    }

    /** Refreshes this launch's tokens at Keycloak now, then shows the page again. */
    @PostMapping("/launch/{launch}/refresh")
    ResponseEntity<String> refresh(@PathVariable("launch") String launch, Authentication authentication, HttpServletRequest request,
                                   HttpServletResponse response) {
        if (!(authentication instanceof LaunchAuthentication login) || !login.launchId().equals(launch)) {
            return html(HttpStatus.NOT_FOUND, Pages.launchEnded());
        }
        refreshNow.authorize(OAuth2AuthorizeRequest.withClientRegistrationId(SecurityConfig.REGISTRATION_ID)
                .principal(authentication)
                .attribute(HttpServletRequest.class.getName(), request)
                .attribute(HttpServletResponse.class.getName(), response)
                .build());
        return ResponseEntity.status(HttpStatus.SEE_OTHER).location(URI.create(request.getContextPath() + LaunchUrls.page(launch))).build();
    }

    /**
     * Keycloak refused to refresh (Spring then drops the launch: its session ended) or did not answer (the launch is
     * kept; a reload tries again).
     */
    @ExceptionHandler(OAuth2AuthorizationException.class)
    ResponseEntity<String> refreshFailed(OAuth2AuthorizationException e, HttpServletRequest request) {
        String code = e.getError().getErrorCode();
        LOG.info("Refreshing a launch's tokens failed: {}", code != null && ERROR_CODE.matcher(code).matches() ? code : "other");
        boolean held = launches.find(request, LaunchUrls.launchIdOf(request)).isPresent();
        return held ? html(HttpStatus.SERVICE_UNAVAILABLE, Pages.unavailable()) : html(HttpStatus.NOT_FOUND, Pages.launchEnded());
    }

    private static String form(String action, String buttonId, String label, CsrfToken csrf) {
        return "<form method=\"post\" action=\"" + Pages.esc(action) + "\"><input type=\"hidden\" name=\""
                + Pages.esc(csrf.getParameterName()) + "\" value=\"" + Pages.esc(csrf.getToken()) + "\"><button type=\"submit\" id=\""
                + buttonId + "\">" + Pages.esc(label) + "</button></form>";
    }

    private static ResponseEntity<String> html(HttpStatus status, String body) {
        return ResponseEntity.status(status).contentType(MediaType.parseMediaType("text/html;charset=UTF-8")).body(body);
    }

    private static Instant seconds(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS);
    }

    /** The app's own access token is a Keycloak JWT; its claims are read here only to display them. */
    private static JWTClaimsSet claims(String jwt) {
        try {
            return JWTParser.parse(jwt).getJWTClaimsSet();
        } catch (ParseException e) {
            return null;
        }
    }
}
