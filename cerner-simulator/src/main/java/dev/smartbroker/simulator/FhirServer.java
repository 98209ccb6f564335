package dev.smartbroker.simulator;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tenant's FHIR R4 API: discovery and the CapabilityStatement without authentication; reads and patient
 * searches with a bearer token of this tenant and a matching scope, answering Cerner's 401/403/400/404/406
 * shapes (cerner-smart-facts §3.3, §5, §7).
 */
final class FhirServer {

    static final Set<String> TYPES = Set.of("Patient", "Practitioner", "Encounter", "Observation");
    private static final Pattern SCOPE = Pattern.compile("^(user|patient|system)/([A-Za-z]+)\\.([a-z]+)$");
    private static final List<String> SCOPE_TYPES = List.of("Patient", "Encounter", "Observation", "Practitioner", "Condition",
            "AllergyIntolerance", "MedicationRequest", "Procedure", "DocumentReference", "Immunization", "Appointment", "Slot");

    private final CernerSimulator sim;
    private final State state;

    FhirServer(CernerSimulator sim, State state) {
        this.sim = sim;
        this.state = state;
    }

    void handle(Exchange ex, String tenant, String rest) throws IOException {
        cors(ex);
        String accept = ex.header("Accept");
        if (accept != null && !acceptsJson(accept)) {
            ex.endpoint = Endpoint.FHIR;
            ex.empty(406);
            return;
        }
        if (rest.equals(".well-known/smart-configuration")) {
            ex.endpoint = Endpoint.DISCOVERY;
            if (sim.applyFault(ex, tenant) || !sim.settings(tenant).serveWellKnown) {
                if (!ex.answered()) {
                    ex.json(404, Map.of("error", "not_found"));
                }
                return;
            }
            ex.json(200, smartConfiguration(tenant));
            return;
        }
        if (rest.equals("metadata")) {
            ex.endpoint = Endpoint.METADATA;
            if (sim.applyFault(ex, tenant)) {
                return;
            }
            ex.fhir(200, Exchange.toJson(capabilityStatement(tenant)));
            return;
        }
        ex.endpoint = Endpoint.FHIR;
        if (sim.applyFault(ex, tenant)) {
            return;
        }
        State.AccessToken token = bearer(ex);
        if (token == null || token.expires().isBefore(Instant.now())) {
            unauthorized(ex, tenant, "invalid_token");
            return;
        }
        ex.clientId = token.clientId();
        if (!token.tenant().equals(tenant)) {
            // A token from another tenant's (or host's) token endpoint (cerner-smart-facts §1.2).
            unauthorized(ex, tenant, "tenant-mismatch");
            return;
        }
        String[] parts = rest.split("/");
        String type = parts[0];
        if (!TYPES.contains(type)) {
            outcome(ex, 404, "not-found", "Resource type " + type + " is not supported by this simulator");
            return;
        }
        if (parts.length == 2) {
            read(ex, tenant, token, type, parts[1]);
        } else if (parts.length == 1) {
            search(ex, tenant, token, type);
        } else {
            outcome(ex, 400, "invalid", "Unsupported request");
        }
    }

    private void read(Exchange ex, String tenant, State.AccessToken token, String type, String id) throws IOException {
        FhirData.Stored stored = sim.data().get(tenant, type, id);
        if (!allowed(token, type, 'r', stored == null ? null : stored.patientId())) {
            forbidden(ex, tenant);
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
        if ("Patient".equals(type) || "Practitioner".equals(type)) {
            String id = q.get("_id");
            if (id == null) {
                // Cerner requires a supported search parameter (cerner-smart-facts §5).
                outcome(ex, 400, "invalid", "no supported search parameters provided");
                return;
            }
            FhirData.Stored stored = sim.data().get(tenant, type, id);
            if (!allowed(token, type, 's', stored == null ? null : stored.patientId())) {
                forbidden(ex, tenant);
                return;
            }
            bundle(ex, tenant, type, stored == null ? List.of() : List.of(stored));
            return;
        }
        String patient = q.get("patient") != null ? q.get("patient") : q.get("subject");
        if (patient != null && patient.startsWith("Patient/")) {
            patient = patient.substring("Patient/".length());
        }
        if (patient == null) {
            outcome(ex, 400, "invalid", "no supported search parameters provided");
            return;
        }
        if (!allowed(token, type, 's', patient)) {
            forbidden(ex, tenant);
            return;
        }
        bundle(ex, tenant, type, sim.data().search(tenant, type, patient));
    }

    /** Whether the token's scopes allow {@code permission} on {@code type} in {@code compartmentPatient}'s compartment. */
    static boolean allowed(State.AccessToken token, String type, char permission, String compartmentPatient) {
        for (String scope : token.scopes()) {
            Matcher m = SCOPE.matcher(scope);
            if (!m.matches() || !m.group(2).equals(type)) {
                continue;
            }
            String rights = m.group(3);
            boolean grants = rights.equals("read") || (!rights.equals("write") && rights.matches("c?r?u?d?s?") && rights.indexOf(permission) >= 0);
            if (!grants) {
                continue;
            }
            if (m.group(1).equals("patient") && (compartmentPatient == null || !compartmentPatient.equals(token.patientId()))) {
                continue;
            }
            return true;
        }
        return false;
    }

    private State.AccessToken bearer(Exchange ex) {
        String header = ex.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return state.accessTokens.get(header.substring(7).trim());
    }

    private void bundle(Exchange ex, String tenant, String type, List<FhirData.Stored> resources) throws IOException {
        StringBuilder json = new StringBuilder("{\"resourceType\":\"Bundle\",\"id\":\"").append(UUID.randomUUID())
                .append("\",\"type\":\"searchset\",\"total\":").append(resources.size())
                .append(",\"link\":[{\"relation\":\"self\",\"url\":\"").append(sim.fhirBase(tenant)).append('/').append(type).append("\"}]")
                .append(",\"entry\":[");
        for (int i = 0; i < resources.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append("{\"resource\":").append(resources.get(i).json()).append(",\"search\":{\"mode\":\"match\"}}");
        }
        json.append("]}");
        ex.fhir(200, json.toString());
    }

    private void unauthorized(Exchange ex, String tenant, String error) throws IOException {
        ex.addHeader("WWW-Authenticate", "Bearer realm=\"" + sim.fhirHost(tenant) + "\", error=\"" + error + "\"");
        outcome(ex, 401, "login", "Bearer realm=\"" + sim.fhirHost(tenant) + "\", error=\"" + error + "\"");
    }

    private void forbidden(Exchange ex, String tenant) throws IOException {
        Map<String, Object> issue = new LinkedHashMap<>();
        issue.put("severity", "error");
        issue.put("code", "forbidden");
        issue.put("diagnostics", "Bearer realm=\"" + sim.fhirHost(tenant) + "\", error=\"insufficient_scope\"");
        issue.put("expression", List.of("http.Authorization"));
        ex.fhir(403, Exchange.toJson(Map.of("resourceType", "OperationOutcome", "issue", List.of(issue))));
    }

    private static void outcome(Exchange ex, int status, String code, String diagnostics) throws IOException {
        Map<String, Object> issue = new LinkedHashMap<>();
        issue.put("severity", "error");
        issue.put("code", code);
        issue.put("diagnostics", diagnostics);
        ex.fhir(status, Exchange.toJson(Map.of("resourceType", "OperationOutcome", "issue", List.of(issue))));
    }

    private static void cors(Exchange ex) {
        ex.addHeader("Access-Control-Allow-Origin", "*");
        ex.addHeader("Access-Control-Expose-Headers", "ETag, Content-Location, Location, X-Request-Id, WWW-Authenticate, Date");
        ex.addHeader("X-Request-Id", UUID.randomUUID().toString());
    }

    static boolean acceptsJson(String accept) {
        String a = accept.toLowerCase(Locale.ROOT);
        return a.contains("json") || a.contains("*/*") || a.contains("application/*");
    }

    // ---------------------------------------------------------------- discovery documents

    Map<String, Object> smartConfiguration(String tenant) {
        Map<String, Object> doc = new LinkedHashMap<>();
        String as = sim.baseUrl() + "/tenants/" + tenant;
        doc.put("issuer", as);
        doc.put("authorization_endpoint", sim.baseUrl() + sim.authorizationServer().authorizePath(tenant));
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
                "permission-offline", "permission-online", "permission-v1", "permission-v2"));
        if (sim.settings(tenant).advertisePkce) {
            doc.put("code_challenge_methods_supported", List.of("S256"));
        }
        return doc;
    }

    private static List<String> scopesSupported() {
        List<String> scopes = new ArrayList<>(List.of("launch", "profile", "fhirUser", "openid", "online_access", "offline_access"));
        for (String context : List.of("user", "patient", "system")) {
            for (String type : SCOPE_TYPES) {
                scopes.add(context + "/" + type + ".read");
                scopes.add(context + "/" + type + ".write");
                scopes.add(context + "/" + type + ".crus");
                scopes.add(context + "/" + type + ".rs");
            }
        }
        return scopes;
    }

    Map<String, Object> capabilityStatement(String tenant) {
        String as = sim.baseUrl() + "/tenants/" + tenant;
        List<Map<String, Object>> uris = List.of(
                Map.of("url", "token", "valueUri", sim.tokenEndpoint(tenant)),
                Map.of("url", "revoke", "valueUri", sim.revocationEndpoint(tenant)),
                Map.of("url", "authorize", "valueUri", sim.baseUrl() + sim.authorizationServer().authorizePath(tenant)),
                Map.of("url", "manage", "valueUri", as + "/personas/provider/my-authorizations"),
                Map.of("url", "introspect", "valueUri", sim.baseUrl() + "/tokeninfo"));
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("extension", List.of(Map.of("url", "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension", uris)));
        security.put("cors", true);
        security.put("service", List.of(Map.of("coding", List.of(Map.of("system", "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code", "SMART-on-FHIR")), "text", "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org/)")));
        security.put("description", "OAuth2 plus SMART extensions");
        List<Map<String, Object>> resources = new ArrayList<>();
        for (String type : List.of("Encounter", "Observation", "Patient", "Practitioner")) {
            resources.add(Map.of("type", type, "interaction", List.of(Map.of("code", "read"), Map.of("code", "search-type"))));
        }
        Map<String, Object> rest = new LinkedHashMap<>();
        rest.put("mode", "server");
        rest.put("security", security);
        rest.put("resource", resources);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("resourceType", "CapabilityStatement");
        doc.put("status", "active");
        doc.put("date", "2026-11-22T00:00:00Z");
        doc.put("kind", "instance");
        doc.put("fhirVersion", "4.0.1");
        doc.put("format", List.of("json"));
        doc.put("implementation", Map.of("description", "Cerner simulator", "url", sim.fhirBase(tenant)));
        doc.put("rest", List.of(rest));
        return doc;
    }
}
