package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

/** The admin API under {@code /admin}: the embedding API as JSON, for loopback clients only, never in the request log. */
final class AdminApi {

    private final CernerSimulator sim;
    private final State state;

    AdminApi(CernerSimulator sim, State state) {
        this.sim = sim;
        this.state = state;
    }

    void handle(Exchange ex) throws IOException {
        if (!ex.fromLoopback()) {
            ex.json(403, Map.of("error", "the admin API answers loopback clients only"));
            return;
        }
        String[] s = ex.path().substring(1).split("/", -1);
        String what = s.length > 1 ? s[1] : "";
        String method = ex.method();
        try {
            switch (what) {
                case "apps" -> apps(ex, s, method);
                case "faults" -> faults(ex, method);
                case "requests" -> requests(ex, method);
                case "sessions" -> {
                    if (s.length == 4 && s[3].equals("end") && method.equals("POST")) {
                        sim.endEhrSession(URLDecoder.decode(s[2], StandardCharsets.UTF_8));
                        ex.empty(204);
                    } else {
                        ex.json(404, Map.of("error", "not_found"));
                    }
                }
                case "tenants" -> tenants(ex, s, method);
                case "clock" -> clock(ex, s, method);
                case "keys" -> {
                    if (s.length == 3 && s[2].equals("rotate") && method.equals("POST")) {
                        sim.rotateSigningKey();
                        ex.json(200, Map.of("kid", sim.currentSigningKid()));
                    } else {
                        ex.json(404, Map.of("error", "not_found"));
                    }
                }
                case "tokens" -> {
                    if (method.equals("GET")) {
                        ex.json(200, sim.issuedTokens());
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                case "launches" -> {
                    if (method.equals("POST")) {
                        Map<String, String> body = SimulatorConfig.JSON.readValue(ex.body(), new TypeReference<Map<String, String>>() { });
                        String tenant = body.get("tenant");
                        String launch = sim.createLaunch(tenant, body.get("patient"), body.get("clientId"));
                        ex.json(201, Map.of("launch", launch, "iss", sim.fhirBase(tenant)));
                    } else {
                        methodNotAllowed(ex);
                    }
                }
                default -> ex.json(404, Map.of("error", "not_found"));
            }
        } catch (JsonProcessingException e) {
            ex.json(400, Map.of("error", "invalid_request", "error_description", String.valueOf(e.getOriginalMessage())));
        } catch (IllegalArgumentException e) {
            ex.json(400, Map.of("error", "invalid_request", "error_description", String.valueOf(e.getMessage())));
        }
    }

    private void apps(Exchange ex, String[] s, String method) throws IOException {
        if (s.length == 2 && method.equals("GET")) {
            ex.json(200, sim.apps());
        } else if (s.length == 2 && method.equals("POST")) {
            AppRegistration app = SimulatorConfig.JSON.readValue(ex.body(), AppRegistration.class);
            sim.registerApp(app);
            ex.json(201, app);
        } else if (s.length == 3 && method.equals("DELETE")) {
            String clientId = URLDecoder.decode(s[2], StandardCharsets.UTF_8);
            if (state.apps.remove(clientId) == null) {
                ex.json(404, Map.of("error", "not_found"));
            } else {
                ex.empty(204);
            }
        } else {
            methodNotAllowed(ex);
        }
    }

    private void faults(Exchange ex, String method) throws IOException {
        if (method.equals("POST")) {
            Fault fault = SimulatorConfig.JSON.readValue(ex.body(), Fault.class);
            sim.faults().add(fault);
            ex.json(201, fault);
        } else if (method.equals("DELETE")) {
            sim.faults().clear();
            ex.empty(204);
        } else if (method.equals("GET")) {
            ex.json(200, sim.faults().list());
        } else {
            methodNotAllowed(ex);
        }
    }

    private void requests(Exchange ex, String method) throws IOException {
        if (method.equals("DELETE")) {
            sim.requestLog().clear();
            ex.empty(204);
        } else if (method.equals("GET")) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("requests", sim.requestLog().entries());
            body.put("outbound", sim.requestLog().outbound());
            ex.json(200, body);
        } else {
            methodNotAllowed(ex);
        }
    }

    private void tenants(Exchange ex, String[] s, String method) throws IOException {
        if (s.length == 2 && method.equals("GET")) {
            List<Map<String, Object>> tenants = new ArrayList<>();
            for (SimulatorConfig.Tenant t : state.tenants.values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", t.id());
                m.put("name", t.name());
                m.put("dialect", t.dialect());
                m.put("fhirBase", sim.fhirBase(t.id()));
                m.put("tokenEndpoint", sim.tokenEndpoint(t.id()));
                m.put("settings", sim.settings(t.id()));
                tenants.add(m);
            }
            ex.json(200, tenants);
        } else if (s.length == 4 && s[3].equals("settings") && state.tenants.containsKey(s[2])) {
            TenantSettings live = sim.settings(s[2]);
            if (method.equals("PUT")) {
                // A partial document changes only the fields it names.
                TenantSettings changed = SimulatorConfig.JSON.readerForUpdating(live.copy()).readValue(ex.body());
                live.update(changed);
            } else if (!method.equals("GET")) {
                methodNotAllowed(ex);
                return;
            }
            ex.json(200, live);
        } else {
            ex.json(404, Map.of("error", "not_found"));
        }
    }

    /** {@code GET /admin/clock}; {@code POST /admin/clock {"advanceSeconds": n}} moves the simulator's time forward. */
    private void clock(Exchange ex, String[] s, String method) throws IOException {
        if (s.length != 2) {
            ex.json(404, Map.of("error", "not_found"));
            return;
        }
        if (method.equals("POST")) {
            JsonNode body = SimulatorConfig.JSON.readTree(ex.body());
            JsonNode seconds = body == null ? null : body.get("advanceSeconds");
            if (seconds == null || !seconds.isNumber()) {
                throw new IllegalArgumentException("advanceSeconds (a number of seconds) is required");
            }
            sim.clock().advance(Duration.ofMillis(Math.round(seconds.asDouble() * 1000)));
        } else if (!method.equals("GET")) {
            methodNotAllowed(ex);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("now", sim.clock().instant());
        body.put("offsetSeconds", sim.clock().offset().toMillis() / 1000.0);
        ex.json(200, body);
    }

    private static void methodNotAllowed(Exchange ex) throws IOException {
        ex.json(405, Map.of("error", "method_not_allowed"));
    }
}
