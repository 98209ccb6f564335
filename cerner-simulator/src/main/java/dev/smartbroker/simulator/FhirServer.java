package dev.smartbroker.simulator;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/**
 * The tenant's FHIR R4 API: discovery and the CapabilityStatement without authentication; reads and searches with
 * a bearer token of this tenant and a matching scope, answering Cerner's 401/403/400/404/406 shapes
 * (docs/ehr/cerner.md §3.3, §5, §7).
 */
final class FhirServer {

    static final Set<String> TYPES = Set.of("Patient", "Practitioner", "Encounter", "Observation");
    /** Cerner's Patient search parameters (§5); anything else alone is "no supported search parameters". */
    private static final Set<String> PATIENT_SEARCH = Set.of("_id", "identifier", "name", "family", "given", "birthdate", "gender");
    private static final Pattern SCOPE = Pattern.compile("^(user|patient|system)/([A-Za-z]+)\\.([a-z]+)$");
    private static final Pattern V2_RIGHTS = Pattern.compile("c?r?u?d?s?");
    private static final List<String> SCOPE_TYPES = List.of("Account", "AllergyIntolerance", "Appointment", "Condition",
            "DocumentReference", "Encounter", "Immunization", "MedicationRequest", "Observation", "Patient", "Practitioner",
            "Procedure", "Slot");

    private final CernerSimulator sim;
    private final State state;
    /** CapabilityStatements serialised once per tenant: /metadata is a map lookup. */
    private final Map<String, String> metadata = new HashMap<>();

    FhirServer(CernerSimulator sim, State state, FhirContext fhir) {
        this.sim = sim;
        this.state = state;
        for (String tenant : state.tenants.keySet()) {
            metadata.put(tenant, fhir.newJsonParser().encodeResourceToString(capabilityStatement(tenant)));
        }
    }

    void handle(Exchange ex, String tenant, String rest) throws IOException {
        cors(ex);
        ex.endpoint = rest.equals(".well-known/smart-configuration") ? Endpoint.DISCOVERY
                : rest.equals("metadata") ? Endpoint.METADATA : Endpoint.FHIR;
        String accept = ex.header("Accept");
        if (accept != null && !acceptsJson(accept)) {
            // Cerner answers XML (or any non-JSON) Accept with 406 and no body (§3.3).
            ex.empty(406);
            return;
        }
        if (sim.applyFault(ex, tenant)) {
            return;
        }
        if (ex.endpoint == Endpoint.DISCOVERY) {
            if (sim.settings(tenant).serveWellKnown) {
                ex.json(200, smartConfiguration(tenant));
            } else {
                ex.json(404, Map.of("error", "not_found"));
            }
            return;
        }
        if (ex.endpoint == Endpoint.METADATA) {
            ex.fhir(200, metadata.get(tenant));
            return;
        }
        if (!ex.method().equals("GET")) {
            outcome(ex, 405, "not-supported", "This simulator only reads and searches");
            return;
        }
        State.AccessToken token = bearer(ex);
        if (token == null || token.expires().isBefore(Instant.now())) {
            unauthorized(ex, "invalid_token", null);
            return;
        }
        ex.clientId = token.clientId();
        if (!token.tenant().equals(tenant)) {
            // A token from another tenant's (or host's) token endpoint (§1.2, forum 7982).
            unauthorized(ex, "invalid_token", "tenant-mismatch");
            return;
        }
        String[] parts = rest.split("/");
        String type = parts[0];
        if (!TYPES.contains(type)) {
            outcome(ex, 404, "not-found", "Resource type " + type + " is not supported by this simulator");
            return;
        }
        if (parts.length == 2 && !parts[1].isEmpty()) {
            read(ex, tenant, token, type, parts[1]);
        } else if (parts.length == 1) {
            search(ex, tenant, token, type);
        } else {
            outcome(ex, 400, "invalid", "Unsupported request");
        }
    }

    private void read(Exchange ex, String tenant, State.AccessToken token, String type, String id) throws IOException {
        FhirData.Stored stored = sim.data().get(tenant, type, id);
        // Compartment: a Patient is its own; others carry the patient they belong to (null for Practitioner).
        if (!allowed(token, type, 'r', stored == null ? null : stored.patientId())) {
            forbidden(ex);
            return;
        }
        if (stored == null) {
            outcome(ex, 404, "not-found", "Resource " + type + "/" + id + " is not known");
            return;
        }
        ex.fhir(200, stored.json());
    }

    private void search(Exchange ex, String tenant, State.AccessToken token, String type) throws IOException {
        Map<String, String> q = ex.queryParams();
        if (type.equals("Patient")) {
            Map<String, String> params = new LinkedHashMap<>();
            q.forEach((k, v) -> {
                if (PATIENT_SEARCH.contains(k)) {
                    params.put(k, v);
                }
            });
            if (params.isEmpty()) {
                outcome(ex, 400, "invalid", "no supported search parameters provided");
                return;
            }
            List<FhirData.Stored> found = new ArrayList<>();
            for (FhirData.Stored s : sim.data().searchPatients(tenant, params)) {
                if (allowed(token, type, 's', s.patientId())) {
                    found.add(s);
                }
            }
            if (found.isEmpty() && !allowedAnywhere(token, type, 's')) {
                forbidden(ex);
                return;
            }
            bundle(ex, tenant, type, found);
            return;
        }
        if (type.equals("Practitioner")) {
            String id = q.get("_id");
            if (id == null) {
                outcome(ex, 400, "invalid", "no supported search parameters provided");
                return;
            }
            if (!allowed(token, type, 's', null)) {
                forbidden(ex);
                return;
            }
            FhirData.Stored stored = sim.data().get(tenant, type, id);
            bundle(ex, tenant, type, stored == null ? List.of() : List.of(stored));
            return;
        }
        String patient = q.get("patient") != null ? q.get("patient") : q.get("subject");
        if (patient != null && patient.startsWith("Patient/")) {
            patient = patient.substring("Patient/".length());
        }
        if (patient == null || patient.isEmpty()) {
            outcome(ex, 400, "invalid", "no supported search parameters provided");
            return;
        }
        if (!allowed(token, type, 's', patient)) {
            forbidden(ex);
            return;
        }
        bundle(ex, tenant, type, sim.data().search(tenant, type, patient));
    }

    /**
     * Whether the token's scopes allow {@code permission} ('r' read, 's' search) on {@code type} in
     * {@code compartmentPatient}'s compartment: v1 {@code .read} (read and search), or a v2 rights string in
     * cruds order holding the permission; {@code patient/} scopes only in the launch patient's compartment.
     */
    static boolean allowed(State.AccessToken token, String type, char permission, String compartmentPatient) {
        for (String scope : token.scopes()) {
            Matcher m = SCOPE.matcher(scope);
            if (!m.matches() || !m.group(2).equals(type) || !grants(m.group(3), permission)) {
                continue;
            }
            if (m.group(1).equals("patient") && (compartmentPatient == null || !compartmentPatient.equals(token.patientId()))) {
                continue;
            }
            return true;
        }
        return false;
    }

    private static boolean allowedAnywhere(State.AccessToken token, String type, char permission) {
        for (String scope : token.scopes()) {
            Matcher m = SCOPE.matcher(scope);
            if (m.matches() && m.group(2).equals(type) && grants(m.group(3), permission)) {
                return true;
            }
        }
        return false;
    }

    private static boolean grants(String rights, char permission) {
        if (rights.equals("read")) {
            return true;
        }
        return !rights.equals("write") && V2_RIGHTS.matcher(rights).matches() && rights.indexOf(permission) >= 0;
    }

    private State.AccessToken bearer(Exchange ex) {
        String header = ex.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return state.accessTokens.get(header.substring(7).trim());
    }

    private void bundle(Exchange ex, String tenant, String type, List<FhirData.Stored> resources) throws IOException {
        String self = sim.fhirBase(tenant) + "/" + type + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery());
        StringBuilder json = new StringBuilder(256 + resources.stream().mapToInt(r -> r.json().length() + 64).sum())
                .append("{\"resourceType\":\"Bundle\",\"id\":\"").append(UUID.randomUUID())
                .append("\",\"type\":\"searchset\",\"total\":").append(resources.size())
                .append(",\"link\":[{\"relation\":\"self\",\"url\":").append(Exchange.toJson(self)).append("}]")
                .append(",\"entry\":[");
        for (int i = 0; i < resources.size(); i++) {
            FhirData.Stored r = resources.get(i);
            json.append(i > 0 ? "," : "").append("{\"fullUrl\":").append(Exchange.toJson(sim.fhirBase(tenant) + "/" + r.type() + "/" + r.id()))
                    .append(",\"resource\":").append(r.json()).append(",\"search\":{\"mode\":\"match\"}}");
        }
        json.append("]}");
        ex.fhir(200, json.toString());
    }

    /**
     * 401 with an RFC 6750 challenge naming the FHIR host as realm (§3.3). The exact value at Cerner is UNCONFIRMED
     * (§8.7); a tenant mismatch says so in error_description and the OperationOutcome.
     */
    private void unauthorized(Exchange ex, String error, String description) throws IOException {
        String challenge = "Bearer realm=\"" + sim.fhirHost() + "\", error=\"" + error + "\""
                + (description == null ? "" : ", error_description=\"" + description + "\"");
        ex.addHeader("WWW-Authenticate", challenge);
        outcome(ex, 401, "login", description == null ? challenge : description);
    }

    /** Cerner's insufficient-scope body (§3.3). */
    private void forbidden(Exchange ex) throws IOException {
        Map<String, Object> issue = new LinkedHashMap<>();
        issue.put("severity", "error");
        issue.put("code", "forbidden");
        issue.put("diagnostics", "Bearer realm=\"" + sim.fhirHost() + "\", error=\"insufficient_scope\"");
        issue.put("expression", List.of("http.Authorization"));
        ex.fhir(403, Exchange.toJson(Map.of("resourceType", "OperationOutcome", "issue", List.of(issue))));
    }

    static void outcome(Exchange ex, int status, String code, String diagnostics) throws IOException {
        Map<String, Object> issue = new LinkedHashMap<>();
        issue.put("severity", "error");
        issue.put("code", code);
        issue.put("diagnostics", diagnostics);
        ex.fhir(status, Exchange.toJson(Map.of("resourceType", "OperationOutcome", "issue", List.of(issue))));
    }

    /** Cerner's FHIR CORS headers (§7). */
    private static void cors(Exchange ex) {
        ex.addHeader("Access-Control-Allow-Origin", "*");
        ex.addHeader("Access-Control-Expose-Headers", "ETag, Content-Location, Location, X-Request-Id, WWW-Authenticate, Date");
        ex.addHeader("X-Request-Id", UUID.randomUUID().toString());
    }

    static boolean acceptsJson(String accept) {
        String a = accept.toLowerCase(Locale.ROOT);
        return a.isBlank() || a.contains("json") || a.contains("*/*") || a.contains("application/*");
    }

    // ---------------------------------------------------------------- discovery documents

    /** The newer live shape of Cerner's smart-configuration (§1.3), pointing at this simulator. */
    Map<String, Object> smartConfiguration(String tenant) {
        Map<String, Object> doc = new LinkedHashMap<>();
        String as = sim.baseUrl() + "/tenants/" + tenant;
        doc.put("issuer", as);
        doc.put("authorization_endpoint", sim.authorizationEndpoint(tenant));
        doc.put("token_endpoint", sim.tokenEndpoint(tenant));
        doc.put("revocation_endpoint", sim.revocationEndpoint(tenant));
        doc.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "private_key_jwt"));
        doc.put("token_endpoint_auth_signing_alg_values_supported", List.of("RS384", "ES384"));
        doc.put("jwks_uri", sim.baseUrl() + "/jwk");
        doc.put("grant_types_supported", List.of("authorization_code", "client_credentials"));
        doc.put("scopes_supported", scopesSupported());
        doc.put("response_types_supported", List.of("code"));
        doc.put("management_endpoint", as + "/personas/provider/my-authorizations");
        doc.put("introspection_endpoint", sim.baseUrl() + "/tokeninfo");
        doc.put("capabilities", List.of("authorize-post", "launch-ehr", "launch-standalone", "client-public",
                "client-confidential-asymmetric", "client-confidential-symmetric", "sso-openid-connect", "context-banner",
                "context-style", "context-ehr-patient", "context-ehr-encounter", "permission-patient", "permission-user",
                "permission-offline", "permission-online", "permission-v1", "permission-v2", "health-cards"));
        if (sim.settings(tenant).advertisePkce) {
            doc.put("code_challenge_methods_supported", List.of("S256"));
        }
        return doc;
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

    /** The CapabilityStatement with the oauth-uris extension (§1.4), built with HAPI once per tenant. */
    private CapabilityStatement capabilityStatement(String tenant) {
        CapabilityStatement cs = new CapabilityStatement();
        cs.setStatus(Enumerations.PublicationStatus.ACTIVE);
        cs.setDate(Date.from(Instant.parse("2026-11-01T00:00:00Z")));
        cs.setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE);
        cs.setFhirVersion(Enumerations.FHIRVersion._4_0_1);
        cs.addFormat("json");
        cs.getSoftware().setName("Cerner simulator");
        cs.getImplementation().setDescription("Cerner Millennium (simulated)").setUrl(sim.fhirBase(tenant));
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.addRest();
        rest.setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        CapabilityStatement.CapabilityStatementRestSecurityComponent security = rest.getSecurity();
        Extension uris = security.addExtension().setUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        uris.addExtension("token", new UriType(sim.tokenEndpoint(tenant)));
        uris.addExtension("revoke", new UriType(sim.revocationEndpoint(tenant)));
        uris.addExtension("authorize", new UriType(sim.authorizationEndpoint(tenant)));
        uris.addExtension("manage", new UriType(sim.baseUrl() + "/tenants/" + tenant + "/personas/provider/my-authorizations"));
        uris.addExtension("introspect", new UriType(sim.baseUrl() + "/tokeninfo"));
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
