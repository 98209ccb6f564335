package dev.smartbroker.sampleapp;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The parts of Keycloak (and of the broker's launch-token API and a FHIR server) the sample app calls, on a loopback
 * port, so tests run the app's real login callback, refreshes and banner reads. A test plays the browser's part at
 * Keycloak: it takes the nonce from the app's authorization redirect and asks for a {@link #code} of a launch.
 */
final class FakeKeycloak implements AutoCloseable {

    static final String CLIENT_ID = "sample-app";
    static final String SUBJECT = "clinician-1";
    static final Map<String, String> PATIENT_NAMES = Map.of("12724065", "SMART, WILMA", "12724069", "SMART, TIMMY");

    /** What a code or token stands for: a launch (or none) of one patient. */
    private record Grant(String launchId, String patient, String nonce) {
    }

    private final HttpServer server;
    private final RSAKey key;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    private final Map<String, Grant> refreshTokens = new ConcurrentHashMap<>();
    private final Map<String, Grant> accessTokens = new ConcurrentHashMap<>();
    private final Map<String, String> idTokens = new ConcurrentHashMap<>();
    private final List<String> refreshed = Collections.synchronizedList(new ArrayList<>());
    private volatile long expiresIn = 300;
    private volatile boolean refuseRefresh;

    private FakeKeycloak() throws IOException, JOSEException {
        key = new RSAKeyGenerator(2048).keyID("fake-key").generate();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    static FakeKeycloak start() {
        try {
            return new FakeKeycloak();
        } catch (IOException | JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String issuer() {
        return url() + "/realms/smart";
    }

    /** An authorization code for a login of {@code launchId} (null: a login that came from no launch). */
    String code(String nonce, String launchId, String patient) {
        String code = UUID.randomUUID().toString();
        codes.put(code, new Grant(launchId, patient, nonce));
        return code;
    }

    /** The ID token issued for a launch's login. */
    String idToken(String launchId) {
        return idTokens.get(launchId);
    }

    /** Launch ids whose refresh token was used, in order. */
    List<String> refreshed() {
        return List.copyOf(refreshed);
    }

    void expiresIn(long seconds) {
        this.expiresIn = seconds;
    }

    void refuseRefresh(boolean refuse) {
        this.refuseRefresh = refuse;
    }

    void reset() {
        refreshed.clear();
        expiresIn = 300;
        refuseRefresh = false;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String realm = "/realms/smart";
            if (path.equals(realm + "/protocol/openid-connect/token")) {
                token(exchange, form(exchange.getRequestBody()));
            } else if (path.equals(realm + "/protocol/openid-connect/certs")) {
                send(exchange, 200, new JWKSet(key.toPublicJWK()).toJSONObject());
            } else if (path.equals(realm + "/protocol/openid-connect/userinfo")) {
                Grant grant = accessTokens.get(bearer(exchange));
                send(exchange, grant == null ? 401 : 200, grant == null ? Map.of("error", "invalid_token")
                        : Map.of("sub", SUBJECT, "name", "Dr Fake"));
            } else if (path.equals(realm + "/smart/launch-token")) {
                Grant grant = accessTokens.get(bearer(exchange));
                if (grant == null || grant.launchId() == null) {
                    send(exchange, 404, Map.of("error", "launch_not_found", "error_description", "no launch"));
                } else {
                    send(exchange, 200, Map.of("access_token", "cerner-" + grant.launchId(), "patient", grant.patient(),
                            "fhir_base", url() + "/fhir"));
                }
            } else if (path.startsWith("/fhir/Patient/")) {
                String id = path.substring("/fhir/Patient/".length());
                String name = PATIENT_NAMES.get(id);
                boolean authorized = bearer(exchange) != null && bearer(exchange).startsWith("cerner-");
                send(exchange, name == null || !authorized ? 404 : 200, name == null || !authorized ? Map.of()
                        : Map.of("resourceType", "Patient", "id", id, "name", List.of(Map.of("text", name)),
                        "birthDate", "1947-02-10", "gender", "female"));
            } else {
                send(exchange, 404, Map.of());
            }
        } catch (JOSEException e) {
            throw new IOException(e);
        }
    }

    private void token(HttpExchange exchange, Map<String, String> form) throws IOException, JOSEException {
        Grant grant;
        if ("authorization_code".equals(form.get("grant_type"))) {
            grant = codes.remove(String.valueOf(form.get("code")));
        } else if ("refresh_token".equals(form.get("grant_type"))) {
            grant = refuseRefresh ? null : refreshTokens.get(String.valueOf(form.get("refresh_token")));
            if (grant != null) {
                refreshed.add(grant.launchId());
            }
        } else {
            grant = null;
        }
        if (grant == null) {
            // Keycloak's own answers: to a code it no longer has (used, expired, lost in a restart), and to a refresh
            // token whose session ended.
            send(exchange, 400, Map.of("error", "invalid_grant", "error_description",
                    "authorization_code".equals(form.get("grant_type")) ? "Code not valid" : "Session not active"));
            return;
        }
        Instant now = Instant.now();
        Map<String, Object> access = new HashMap<>();
        access.put("jti", UUID.randomUUID().toString());
        if (grant.launchId() != null) {
            access.put("smart_launch", grant.launchId());
            access.put("patient", grant.patient());
        }
        String accessToken = sign(access, now, expiresIn);
        accessTokens.put(accessToken, grant);
        String refreshToken = UUID.randomUUID().toString();
        refreshTokens.put(refreshToken, grant);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("access_token", accessToken);
        response.put("token_type", "Bearer");
        response.put("expires_in", expiresIn);
        response.put("refresh_token", refreshToken);
        response.put("scope", "openid profile");
        if ("authorization_code".equals(form.get("grant_type"))) {
            Map<String, Object> id = new HashMap<>();
            id.put("nonce", grant.nonce());
            if (grant.launchId() != null) {
                id.put("patient", grant.patient());
            }
            String idToken = sign(id, now, 300);
            response.put("id_token", idToken);
            if (grant.launchId() != null) {
                idTokens.put(grant.launchId(), idToken);
            }
        }
        send(exchange, 200, response);
    }

    private String sign(Map<String, Object> claims, Instant now, long lifetime) throws JOSEException {
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issuer(issuer()).subject(SUBJECT).audience(CLIENT_ID)
                .issueTime(java.util.Date.from(now)).expirationTime(java.util.Date.from(now.plusSeconds(lifetime)));
        claims.forEach(builder::claim);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), builder.build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static String bearer(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && header.startsWith("Bearer ") ? header.substring("Bearer ".length()) : null;
    }

    private static Map<String, String> form(InputStream body) throws IOException {
        Map<String, String> form = new HashMap<>();
        for (String pair : new String(body.readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
