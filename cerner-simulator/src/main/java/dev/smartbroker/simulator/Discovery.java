package dev.smartbroker.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/**
 * The documents clients discover endpoints from: smart-configuration (§1.3), the CapabilityStatement (§1.4), OIDC (§7);
 * for a generic tenant their SMART App Launch 2.x forms (docs/ehr/smart-app-launch.md, conformance).
 */
final class Discovery {

    private static final List<String> SCOPE_TYPES = List.of("Account", "AllergyIntolerance", "Appointment", "Condition",
            "DocumentReference", "Encounter", "Immunization", "MedicationRequest", "Observation", "Patient", "Practitioner",
            "Procedure", "Slot");

    private final CernerSimulator sim;
    private final Urls urls;
    private final FhirContext fhir;
    /** CapabilityStatements serialised once per tenant: /metadata is a map lookup. */
    private final Map<String, String> metadata = new ConcurrentHashMap<>();

    Discovery(CernerSimulator sim, Urls urls, FhirContext fhir, Iterable<String> tenants) {
        this.sim = sim;
        this.urls = urls;
        this.fhir = fhir;
        for (String tenant : tenants) {
            metadata(tenant);
        }
    }

    /** The newer live shape of Cerner's smart-configuration (§1.3), pointing at this simulator; or the generic one. */
    Map<String, Object> smartConfiguration(String tenant) {
        if (urls.generic(tenant)) {
            return genericSmartConfiguration(tenant);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        String as = urls.baseUrl() + "/tenants/" + tenant;
        doc.put("issuer", as);
        doc.put("authorization_endpoint", urls.authorizationEndpoint(tenant));
        doc.put("token_endpoint", urls.tokenEndpoint(tenant));
        doc.put("revocation_endpoint", urls.revocationEndpoint(tenant));
        doc.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "private_key_jwt"));
        doc.put("token_endpoint_auth_signing_alg_values_supported", List.of("RS384", "ES384"));
        doc.put("jwks_uri", urls.jwksUri(tenant));
        doc.put("grant_types_supported", List.of("authorization_code", "client_credentials"));
        doc.put("scopes_supported", scopesSupported());
        doc.put("response_types_supported", List.of("code"));
        doc.put("management_endpoint", urls.managementEndpoint(tenant));
        doc.put("introspection_endpoint", urls.baseUrl() + "/tokeninfo");
        doc.put("capabilities", List.of("authorize-post", "launch-ehr", "launch-standalone", "client-public",
                "client-confidential-asymmetric", "client-confidential-symmetric", "sso-openid-connect", "context-banner",
                "context-style", "context-ehr-patient", "context-ehr-encounter", "permission-patient", "permission-user",
                "permission-offline", "permission-online", "permission-v1", "permission-v2", "health-cards"));
        if (sim.settings(tenant).advertisePkce) {
            doc.put("code_challenge_methods_supported", List.of("S256"));
        }
        return doc;
    }

    /**
     * A SMART App Launch 2.x server's document: the FHIR base as issuer, no revocation, management or introspection
     * endpoint, every client authentication the token endpoint takes. A backend-services-only tenant names no
     * authorization_endpoint and offers client_credentials with private_key_jwt only.
     */
    private Map<String, Object> genericSmartConfiguration(String tenant) {
        boolean backendOnly = sim.backendOnly(tenant);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", urls.fhirBase(tenant));
        doc.put("jwks_uri", urls.jwksUri(tenant));
        if (!backendOnly) {
            doc.put("authorization_endpoint", urls.authorizationEndpoint(tenant));
        }
        doc.put("token_endpoint", urls.tokenEndpoint(tenant));
        doc.put("token_endpoint_auth_methods_supported", backendOnly ? List.of("private_key_jwt")
                : List.of("client_secret_basic", "client_secret_post", "private_key_jwt"));
        doc.put("token_endpoint_auth_signing_alg_values_supported", List.of("RS384", "ES384"));
        doc.put("grant_types_supported", backendOnly ? List.of("client_credentials")
                : List.of("authorization_code", "refresh_token", "client_credentials"));
        doc.put("scopes_supported", genericScopes(backendOnly));
        if (!backendOnly) {
            doc.put("response_types_supported", List.of("code"));
            if (sim.settings(tenant).advertisePkce) {
                doc.put("code_challenge_methods_supported", List.of("S256"));
            }
        }
        doc.put("capabilities", backendOnly ? List.of("client-confidential-asymmetric", "permission-v1", "permission-v2")
                : List.of("launch-ehr", "authorize-post", "client-public", "client-confidential-symmetric",
                        "client-confidential-asymmetric", "sso-openid-connect", "context-banner", "context-style",
                        "context-ehr-patient", "context-ehr-encounter", "permission-offline", "permission-online",
                        "permission-patient", "permission-user", "permission-v1", "permission-v2"));
        return doc;
    }

    /** v1 .read and v2 .rs for the chart's types; system/ scopes only for a backend-services-only tenant. */
    private static List<String> genericScopes(boolean backendOnly) {
        List<String> scopes = new ArrayList<>();
        if (!backendOnly) {
            scopes.addAll(List.of("openid", "fhirUser", "profile", "launch", "online_access", "offline_access"));
        }
        for (String context : backendOnly ? List.of("system") : List.of("user", "patient", "system")) {
            for (String type : FhirServer.TYPES.stream().sorted().toList()) {
                scopes.add(context + "/" + type + ".read");
                scopes.add(context + "/" + type + ".rs");
            }
        }
        return scopes;
    }

    /** v1 .read/.write and v2 combined forms, as Cerner lists them (§1.3); no launch/patient for the provider persona. */
    private static List<String> scopesSupported() {
        List<String> scopes = new ArrayList<>(List.of("launch", "profile", "fhirUser", "openid", "online_access", "offline_access"));
        for (String context : List.of("user", "patient", "system")) {
            for (String type : SCOPE_TYPES) {
                scopes.add(context + "/" + type + ".read");
                scopes.add(context + "/" + type + ".write");
                scopes.add(context + "/" + type + ".rs");
                scopes.add(context + "/" + type + ".crus");
            }
        }
        return scopes;
    }

    /**
     * §7: Cerner's OIDC document names the issuer as authorize and token endpoint; clients must not use them. A
     * generic tenant's, at {@code {fhirBase}/.well-known/openid-configuration}, names its real endpoints.
     */
    Map<String, Object> oidcConfiguration(String tenant) {
        String issuer = urls.oidcIssuer(tenant);
        if (urls.generic(tenant)) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("issuer", issuer);
            doc.put("authorization_endpoint", urls.authorizationEndpoint(tenant));
            doc.put("token_endpoint", urls.tokenEndpoint(tenant));
            doc.put("jwks_uri", urls.jwksUri(tenant));
            doc.put("response_types_supported", List.of("code"));
            doc.put("subject_types_supported", List.of("public"));
            doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
            doc.put("scopes_supported", List.of("openid", "fhirUser", "profile"));
            doc.put("claims_supported", List.of("iss", "sub", "aud", "exp", "iat", "fhirUser", "name", "email", "nonce"));
            return doc;
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("response_types_supported", List.of("code"));
        doc.put("request_parameter_supported", false);
        doc.put("require_request_uri_registration", false);
        doc.put("request_uri_parameter_supported", true);
        doc.put("claims_parameter_supported", false);
        doc.put("jwks_uri", urls.jwksUri(tenant));
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
        doc.put("issuer", issuer);
        doc.put("authorization_endpoint", issuer);
        doc.put("token_endpoint", issuer);
        return doc;
    }

    /** The tenant's CapabilityStatement as JSON, built with HAPI once (at start for the configured tenants) and kept. */
    String metadata(String tenant) {
        boolean backendOnly = sim.backendOnly(tenant);
        return metadata.computeIfAbsent(tenant + (backendOnly ? "|backend" : ""),
                t -> fhir.newJsonParser().encodeResourceToString(capabilityStatement(tenant, backendOnly)));
    }

    /** The CapabilityStatement with the oauth-uris extension (§1.4); a generic tenant's names token and authorize only. */
    private CapabilityStatement capabilityStatement(String tenant, boolean backendOnly) {
        boolean generic = urls.generic(tenant);
        CapabilityStatement cs = new CapabilityStatement();
        cs.setStatus(Enumerations.PublicationStatus.ACTIVE);
        cs.setDate(Date.from(Instant.parse("2026-11-01T00:00:00Z")));
        cs.setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE);
        cs.setFhirVersion(Enumerations.FHIRVersion._4_0_1);
        cs.addFormat("json");
        cs.getSoftware().setName(generic ? "Generic SMART simulator" : "Cerner simulator");
        cs.getImplementation().setDescription(generic ? "SMART App Launch 2.x server (simulated)" : "Cerner Millennium (simulated)")
                .setUrl(urls.fhirBase(tenant));
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.addRest();
        rest.setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        CapabilityStatement.CapabilityStatementRestSecurityComponent security = rest.getSecurity();
        Extension uris = security.addExtension().setUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        uris.addExtension("token", new UriType(urls.tokenEndpoint(tenant)));
        if (generic) {
            if (!backendOnly) {
                uris.addExtension("authorize", new UriType(urls.authorizationEndpoint(tenant)));
            }
        } else {
            uris.addExtension("revoke", new UriType(urls.revocationEndpoint(tenant)));
            uris.addExtension("authorize", new UriType(urls.authorizationEndpoint(tenant)));
            uris.addExtension("manage", new UriType(urls.managementEndpoint(tenant)));
            uris.addExtension("introspect", new UriType(urls.baseUrl() + "/tokeninfo"));
        }
        security.setCors(true);
        security.addService(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/restful-security-service",
                "SMART-on-FHIR", null)).setText("OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org/)."));
        security.setDescription("OAuth2 plus SMART extensions");
        for (String type : List.of("Encounter", "Observation", "Patient", "Practitioner")) {
            CapabilityStatement.CapabilityStatementRestResourceComponent r = rest.addResource().setType(type);
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE);
        }
        return cs;
    }
}
