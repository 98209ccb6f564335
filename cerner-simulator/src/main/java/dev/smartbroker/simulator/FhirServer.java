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
 * The tenant's FHIR R4 API: discovery and the CapabilityStatement without authentication; reads and searches with
 * a bearer token of this tenant and a matching scope, answering Cerner's 401/403/400/404/406 shapes
 * (docs/ehr/cerner.md §3.3, §5, §7). A generic tenant's FHIR base serves the same chart and rules, plus its OIDC
 * configuration (its FHIR base is its id_token issuer).
 */
final class FhirServer {

    static final Set<String> TYPES = Set.of("Patient", "Practitioner", "Encounter", "Observation");
    /** Cerner's Patient search parameters (§5); anything else alone is "no supported search parameters". */
    private static final Set<String> PATIENT_SEARCH = Set.of("_id", "identifier", "name", "family", "given", "birthdate", "gender");
    private static final Pattern SCOPE = Pattern.compile("^(user|patient|system)/([A-Za-z]+)\\.([a-z]+)$");
    private static final Pattern V2_RIGHTS = Pattern.compile("c?r?u?d?s?");

    private final CernerSimulator sim;
    private final State state;
    private final Discovery discovery;

    FhirServer(CernerSimulator sim, State state, Discovery discovery) {
        this.sim = sim;
        this.state = state;
        this.discovery = discovery;
    }

    void handle(Exchange ex, String tenant, String rest) throws IOException {
        cors(ex);
        boolean oidc = rest.equals(".well-known/openid-configuration") && sim.urls().generic(tenant);
        ex.endpoint = rest.equals(".well-known/smart-configuration") ? Endpoint.DISCOVERY
                : rest.equals("metadata") ? Endpoint.METADATA : oidc ? Endpoint.OIDC_CONFIGURATION : Endpoint.FHIR;
        String accept = ex.header("Accept");
        if (accept != null && !acceptsJson(accept)) {
            // Cerner answers XML (or any non-JSON) Accept with 406 and no body (§3.3).
            ex.empty(406);
            return;
        }
        if (sim.injector().applyFault(ex, tenant)) {
            return;
        }
        if (ex.endpoint == Endpoint.DISCOVERY) {
            if (sim.settings(tenant).serveWellKnown) {
                ex.json(200, discovery.smartConfiguration(tenant));
            } else {
                ex.json(404, Map.of("error", "not_found"));
            }
            return;
        }
        if (ex.endpoint == Endpoint.METADATA) {
            ex.fhir(200, discovery.metadata(tenant));
            return;
        }
        if (oidc) {
            // A generic tenant's id_token issuer is its FHIR base: OIDC discovery lives below it.
            ex.json(200, discovery.oidcConfiguration(tenant));
            return;
        }
        if (!ex.method().equals("GET")) {
            outcome(ex, 405, "not-supported", "This simulator only reads and searches");
            return;
        }
        State.AccessToken token = bearer(ex);
        if (token == null || token.expires().isBefore(sim.now())) {
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
        String challenge = "Bearer realm=\"" + sim.urls().fhirHost() + "\", error=\"" + error + "\""
                + (description == null ? "" : ", error_description=\"" + description + "\"");
        ex.addHeader("WWW-Authenticate", challenge);
        outcome(ex, 401, "login", description == null ? challenge : description);
    }

    /** Cerner's insufficient-scope body (§3.3). */
    private void forbidden(Exchange ex) throws IOException {
        Map<String, Object> issue = new LinkedHashMap<>();
        issue.put("severity", "error");
        issue.put("code", "forbidden");
        issue.put("diagnostics", "Bearer realm=\"" + sim.urls().fhirHost() + "\", error=\"insufficient_scope\"");
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
}
