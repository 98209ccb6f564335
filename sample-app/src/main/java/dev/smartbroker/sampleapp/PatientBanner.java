package dev.smartbroker.sampleapp;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientResponseException;

/**
 * Reads the launch's patient from the tenant's FHIR API, the way an app does behind the broker: it asks Keycloak
 * for the Cerner access token of its launch (with its own Keycloak access token), then calls FHIR with it.
 */
@Component
class PatientBanner {

    /** What the banner shows, or why it cannot. */
    record Banner(String name, String birthDate, String gender, String patientId, String error, boolean sessionEnded) {

        Banner(String name, String birthDate, String gender, String patientId, String error) {
            this(name, birthDate, gender, patientId, error, false);
        }

        static Banner failed(String error) {
            return new Banner(null, null, null, null, error);
        }

        /** Keycloak no longer accepts this launch's token: its session ended (logout, or another clinician's launch). */
        static Banner ended() {
            return new Banner(null, null, null, null, "the launch's Keycloak session has ended", true);
        }
    }

    private final RestClient http = RestClient.create();
    private final KeycloakProperties keycloak;

    PatientBanner(KeycloakProperties keycloak) {
        this.keycloak = keycloak;
    }

    Banner load(String keycloakAccessToken) {
        JsonNode cerner;
        try {
            cerner = http.get().uri(keycloak.issuer() + "/smart/launch-token")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + keycloakAccessToken)
                    .accept(MediaType.APPLICATION_JSON)
                    .retrieve().body(JsonNode.class);
        } catch (RestClientResponseException e) {
            if (e.getStatusCode().value() == 401) {
                return Banner.ended();
            }
            JsonNode error = e.getResponseBodyAs(JsonNode.class);
            return Banner.failed(error == null ? "HTTP " + e.getStatusCode().value() : error.path("error").asText() + ": "
                    + error.path("error_description").asText());
        }
        if (cerner == null || cerner.path("patient").isMissingNode()) {
            return Banner.failed("no patient in this launch");
        }
        String patientId = cerner.path("patient").asText();
        try {
            JsonNode patient = http.get().uri(cerner.path("fhir_base").asText() + "/Patient/{id}", Map.of("id", patientId))
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + cerner.path("access_token").asText())
                    .accept(MediaType.valueOf("application/fhir+json"))
                    .retrieve().body(JsonNode.class);
            JsonNode name = patient.path("name").path(0);
            String text = name.path("text").asText(null);
            if (text == null) {
                text = name.path("family").asText("") + ", " + name.path("given").path(0).asText("");
            }
            return new Banner(text, patient.path("birthDate").asText(null), patient.path("gender").asText(null), patientId, null);
        } catch (RestClientResponseException e) {
            return Banner.failed("FHIR read failed: HTTP " + e.getStatusCode().value());
        }
    }
}
