package dev.smartbroker.smart.idp;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.token.TokenResponse;
import org.jboss.logging.Logger;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityBrokerException;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.KeycloakSession;
import org.keycloak.representations.IDToken;
import org.keycloak.representations.JsonWebToken;

/**
 * Who signed in at the EHR: the {@code fhirUser} of the validated id_token (docs/ehr/smart-app-launch.md §5), checked
 * to be a user resource of this tenant's FHIR base, and the clinician's name. The Keycloak user is keyed by tenant and
 * {@code fhirUser}: ids only make sense within their tenant (docs/ehr/cerner.md §1.1).
 */
final class ClinicianIdentity {

    private static final Logger LOG = Logger.getLogger(ClinicianIdentity.class);
    private static final Set<String> USER_RESOURCE_TYPES = Set.of("Practitioner", "Patient", "Person", "RelatedPerson", "PractitionerRole");

    private ClinicianIdentity() {
    }

    /** Keys {@code identity} by tenant and fhirUser and names it; returns the absolute fhirUser. */
    static String apply(KeycloakSession session, SmartTenantConfig config, BrokeredIdentityContext identity, JsonWebToken idToken,
                        TokenResponse tokenResponse) {
        SmartProfile profile = config.profile();
        FhirBaseUrl base = config.fhirBaseUrl().orElseThrow(() -> new IdentityBrokerException("tenant without FHIR base"));
        String fhirUser = absoluteFhirUser(profile, base, idToken, tokenResponse);
        int slash = fhirUser.lastIndexOf('/');
        int typeSlash = slash > 0 ? fhirUser.lastIndexOf('/', slash - 1) : -1;
        String resourceType = typeSlash >= 0 ? fhirUser.substring(typeSlash + 1, slash) : "";
        String resourceId = slash >= 0 ? fhirUser.substring(slash + 1) : "";
        if (!USER_RESOURCE_TYPES.contains(resourceType) || resourceId.isBlank()) {
            throw new IdentityBrokerException("fhirUser is not a Practitioner, Patient, Person or RelatedPerson reference");
        }
        // The clinician is a resource of this tenant: ids mean nothing under another FHIR base.
        if (typeSlash <= 0 || !FhirBaseUrl.parse(fhirUser.substring(0, typeSlash)).equals(Optional.of(base))) {
            throw new IdentityBrokerException("fhirUser is not a resource of this tenant's FHIR base");
        }
        String federatedId = FederatedUsers.federatedId(config.tenantId(), resourceType, resourceId);
        identity.setId(federatedId);
        identity.setBrokerUserId(config.getAlias() + "." + federatedId);
        identity.setUsername(FederatedUsers.username(config.getAlias(), resourceType, resourceId));
        nameFromIdToken(identity, idToken);
        if (identity.getFirstName() == null && identity.getLastName() == null && "Practitioner".equals(resourceType)
                && PractitionerNames.scopeAllowsRead(tokenResponse.scope())) {
            nameFromPractitioner(session, config, base, identity, resourceId, tokenResponse.accessToken());
        }
        return fhirUser;
    }

    private static String absoluteFhirUser(SmartProfile profile, FhirBaseUrl base, JsonWebToken idToken, TokenResponse tokenResponse) {
        Object claim = idToken.getOtherClaims().get(Smart.FHIR_USER);
        if (claim == null) {
            // SMART v1's profile claim carries the same reference (docs/ehr/cerner.md §2.7).
            claim = idToken.getOtherClaims().get(Smart.PROFILE);
        }
        if (claim instanceof String s && !s.isBlank()) {
            String value = s.trim();
            if (value.startsWith("http://") || value.startsWith("https://")) {
                return value;
            }
            if (profile.resolvesRelativeFhirUser() && !value.startsWith("/") && !value.contains("://")) {
                // fhirUser may be relative to the FHIR base (docs/ehr/smart-app-launch.md §5).
                return base.value() + "/" + value;
            }
            throw new IdentityBrokerException("fhirUser is not an absolute URL");
        }
        String fallback = profile.fhirUserFallback(tokenResponse, base);
        if (fallback != null) {
            return fallback;
        }
        throw new IdentityBrokerException("the EHR did not identify the clinician: no fhirUser in the id_token");
    }

    /** Names from {@code given_name}/{@code family_name}, else {@code name} ("Family, Given" at Cerner, §2.7). */
    private static void nameFromIdToken(BrokeredIdentityContext identity, JsonWebToken idToken) {
        Object given = idToken.getOtherClaims().get(IDToken.GIVEN_NAME);
        Object family = idToken.getOtherClaims().get(IDToken.FAMILY_NAME);
        if (given instanceof String g && family instanceof String f) {
            identity.setFirstName(g);
            identity.setLastName(f);
            return;
        }
        Object name = idToken.getOtherClaims().get(IDToken.NAME);
        if (name instanceof String n && !n.isBlank()) {
            int comma = n.indexOf(',');
            if (comma > 0) {
                identity.setLastName(n.substring(0, comma).trim());
                identity.setFirstName(n.substring(comma + 1).trim());
            } else {
                identity.setFirstName(null);
                identity.setLastName(n.trim());
            }
        }
    }

    /**
     * For an id_token without a name: reads the clinician's Practitioner resource from the tenant's own FHIR base (never
     * from the URL in the token). Bounded by the tenant's timeouts; a failure leaves the user unnamed, never the launch
     * failed.
     */
    private static void nameFromPractitioner(KeycloakSession session, SmartTenantConfig config, FhirBaseUrl base,
                                             BrokeredIdentityContext identity, String practitionerId, String accessToken) {
        if (accessToken == null) {
            return;
        }
        String url = base.value() + "/Practitioner/" + URLEncoder.encode(practitionerId, StandardCharsets.UTF_8);
        try (SimpleHttpResponse response = UpstreamHttp.client(session, config).doGet(url)
                .header("Authorization", "Bearer " + accessToken).header("Accept", "application/fhir+json").asResponse()) {
            if (response.getStatus() != 200) {
                LOG.debugf("Practitioner read for IdP %s answered HTTP %d; the user stays unnamed", config.getAlias(), response.getStatus());
                return;
            }
            PractitionerNames.Name name = PractitionerNames.parse(response.asString());
            if (name != null) {
                identity.setFirstName(name.first());
                identity.setLastName(name.last());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("Practitioner read for IdP %s failed (%s); the user stays unnamed", config.getAlias(), e.getClass().getSimpleName());
        }
    }
}
