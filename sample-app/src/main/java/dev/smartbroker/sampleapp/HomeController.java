package dev.smartbroker.sampleapp;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.annotation.RegisteredOAuth2AuthorizedClient;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/** Shows what the app received: the launch context claims of its ID token and access token. */
@RestController
class HomeController {

    private static final String[] CONTEXT_CLAIMS = {"patient", "encounter", "fhirUser", "tenant", "fhir_base", "smart_launch"};
    private final ObjectMapper json = new ObjectMapper();
    private final PatientBanner banner;

    HomeController(PatientBanner banner) {
        this.banner = banner;
    }

    @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
    String home(@AuthenticationPrincipal OidcUser user,
                @RegisteredOAuth2AuthorizedClient(SecurityConfig.REGISTRATION_ID) OAuth2AuthorizedClient client) {
        Map<String, Object> accessToken = claims(client.getAccessToken().getTokenValue());
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>Sample SMART app</title><style>body{font-family:sans-serif;margin:1.5rem}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style>"
                + "</head><body><h1>Sample SMART app</h1>");
        PatientBanner.Banner patient = banner.load(client.getAccessToken().getTokenValue());
        if (patient.error() == null) {
            html.append("<div id=\"banner\" style=\"background:#eef4fb;border:1px solid #9cc1e6;padding:.6rem 1rem;margin-bottom:1rem\">")
                    .append("<b id=\"banner-name\">").append(esc(patient.name())).append("</b> &middot; born <span id=\"banner-birthdate\">")
                    .append(esc(patient.birthDate())).append("</span> &middot; <span id=\"banner-gender\">").append(esc(patient.gender()))
                    .append("</span> &middot; id <span id=\"banner-patient\">").append(esc(patient.patientId())).append("</span></div>");
        } else {
            html.append("<p id=\"banner-error\">No patient banner: ").append(esc(patient.error())).append("</p>");
        }
        html.append("<p id=\"user\">Signed in as <b>").append(esc(user.getFullName() != null ? user.getFullName() : user.getSubject()))
                .append("</b></p>");
        html.append("<table id=\"context\"><tr><th>claim</th><th>ID token</th><th>access token</th></tr>");
        for (String claim : CONTEXT_CLAIMS) {
            Object fromId = user.getIdToken().getClaims().get(claim);
            Object fromAccess = accessToken.get(claim);
            html.append("<tr><td>").append(claim).append("</td><td id=\"id-").append(claim).append("\">")
                    .append(esc(fromId)).append("</td><td id=\"at-").append(claim).append("\">")
                    .append(esc(fromAccess)).append("</td></tr>");
        }
        html.append("</table><p><a href=\"/logout\">Sign out</a></p></body></html>");
        return html.toString();
    }

    @GetMapping(value = "/logged-out", produces = MediaType.TEXT_HTML_VALUE)
    String loggedOut() {
        return "<!DOCTYPE html><html lang=\"en\"><body><p id=\"logged-out\">Signed out.</p></body></html>";
    }

    /** The app's own access token is a Keycloak JWT; its payload is read here only to display it. */
    private Map<String, Object> claims(String jwt) {
        try {
            String[] parts = jwt.split("\\.");
            return json.readValue(Base64.getUrlDecoder().decode(parts[1]), new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static String esc(Object value) {
        return value == null ? "" : HtmlUtils.htmlEscape(String.valueOf(value));
    }
}
