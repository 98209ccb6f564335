package dev.smartbroker.smart.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The context of one EHR launch, as Cerner gave it: what apps receive as claims.
 *
 * <p>{@code patient} and {@code encounter} are PHI: this type's {@code toString} omits them, and they are
 * stored only sealed in the launch's Keycloak session. The scope the EHR granted is kept once, with the EHR's tokens
 * ({@code UpstreamTokens}), since a refresh may change it; values sealed before carry it too and still open.
 *
 * @param launchId          our opaque id for this launch (not Cerner's launch value)
 * @param idpAlias          the Cerner identity provider (tenant) that served the launch
 * @param tenant            Cerner tenant id
 * @param fhirBaseUrl       the tenant's FHIR base URL (canonical form)
 * @param fhirUser          absolute fhirUser URL from the id_token
 * @param patient           patient id in the tenant, or null
 * @param encounter         encounter id in the tenant, or null
 * @param needPatientBanner Cerner's {@code need_patient_banner}, or null
 * @param smartStyleUrl     Cerner's {@code smart_style_url}, or null
 * @param issuedAt          epoch seconds when the launch completed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LaunchContext(@JsonProperty("launch_id") String launchId,
                            @JsonProperty("idp") String idpAlias,
                            @JsonProperty("tenant") String tenant,
                            @JsonProperty("fhir_base") String fhirBaseUrl,
                            @JsonProperty("fhir_user") String fhirUser,
                            @JsonProperty("patient") String patient,
                            @JsonProperty("encounter") String encounter,
                            @JsonProperty("need_patient_banner") Boolean needPatientBanner,
                            @JsonProperty("smart_style_url") String smartStyleUrl,
                            @JsonProperty("iat") long issuedAt) {

    @Override
    public String toString() {
        return "LaunchContext[launchId=" + launchId + ", idp=" + idpAlias + ", tenant=" + tenant + "]";
    }
}
