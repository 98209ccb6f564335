package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A minimal SMART app hosted by the simulator itself, so that a person running the simulator alone can click through
 * the launcher, Cerner's login and consent pages and see what an app receives, without Keycloak. It is what a
 * confidential SMART v1 app does: check {@code iss}, authorize with {@code launch}, {@code aud} and PKCE S256, swap
 * the code with client_secret_basic, read the launch patient. Registered only when asked ({@code main} does).
 */
final class TestApp {

    static final String CLIENT_ID = "cerner-simulator-test-app";
    static final String NAME = "Simulator test app";
    static final List<String> SCOPES = List.of("launch", "openid", "fhirUser", "profile", "online_access", "user/Patient.read",
            "user/Encounter.read", "user/Observation.read", "user/Practitioner.read");
    /** Pending authorizations expire after this long, and at most this many are kept. */
    private static final Duration PENDING_LIFETIME = Duration.ofMinutes(10);
    private static final int MAX_PENDING = 1_000;

    private record Pending(String tenant, String verifier, Instant created) {
    }

    private final CernerSimulator simulator;
    private final SecureRandom random;
    private final String secret;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestApp(CernerSimulator simulator, SecureRandom random) {
        this.simulator = simulator;
        this.random = random;
        this.secret = randomToken();
    }

    AppRegistration registration() {
        return new AppRegistration(CLIENT_ID, NAME, secret, List.of(callbackUrl()), launchUrl(), SCOPES, null, "v1", "provider", false);
    }

    String launchUrl() {
        return simulator.baseUrl() + "/test-app/launch";
    }

    private String callbackUrl() {
        return simulator.baseUrl() + "/test-app/callback";
    }

    void handle(Exchange ex, String what) throws IOException {
        switch (what) {
            case "launch" -> launch(ex);
            case "callback" -> callback(ex);
            default -> ex.html(404, Html.page(NAME, "<p id=\"error\" class=\"error\">Not found.</p>"));
        }
    }

    /** The SMART Launch URI: {@code ?iss=&launch=}. */
    private void launch(Exchange ex) throws IOException {
        String iss = ex.query("iss");
        String launch = ex.query("launch");
        String tenant = iss == null ? null : tenantOf(iss);
        if (tenant == null || launch == null || launch.isBlank()) {
            // A SMART app must not follow an iss it does not know (HL7 smart-app-launch: check iss before discovery).
            ex.html(400, Html.page(NAME, "<h1>Launch refused</h1><p id=\"error\" class=\"error\">"
                    + (tenant == null ? "Unknown or missing iss: this app only trusts this simulator's tenants." : "Missing launch.")
                    + "</p>"));
            return;
        }
        prune();
        String state = randomToken();
        String verifier = randomToken() + randomToken();
        pending.put(state, new Pending(tenant, verifier, simulator.now()));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("response_type", "code");
        params.put("client_id", CLIENT_ID);
        params.put("redirect_uri", callbackUrl());
        params.put("scope", String.join(" ", SCOPES));
        params.put("state", state);
        params.put("aud", iss);
        params.put("launch", launch);
        params.put("code_challenge", challenge(verifier));
        params.put("code_challenge_method", "S256");
        ex.redirect(302, simulator.authorizationEndpoint(tenant) + "?" + form(params));
    }

    private void callback(Exchange ex) throws IOException {
        Pending auth = ex.query("state") == null ? null : pending.remove(ex.query("state"));
        if (auth == null || auth.created().plus(PENDING_LIFETIME).isBefore(simulator.now())) {
            ex.html(400, Html.page(NAME, "<h1>Sign-in failed</h1><p id=\"error\" class=\"error\">Unknown or expired state:"
                    + " launch the app again from the launcher.</p>"));
            return;
        }
        if (ex.query("error") != null) {
            String uri = ex.query("error_uri");
            ex.html(400, Html.page(NAME, "<h1>Cerner refused the authorization</h1><p id=\"error\" class=\"error\">"
                    + Html.esc(ex.query("error")) + "</p>"
                    + (uri == null ? "" : "<p><a id=\"error-uri\" href=\"" + Html.esc(uri) + "\">More information</a></p>")
                    + "<p><a href=\"/launcher?tenant=" + Html.esc(auth.tenant()) + "\">Back to the launcher</a></p>"));
            return;
        }
        Map<String, String> body = new LinkedHashMap<>();
        body.put("grant_type", "authorization_code");
        body.put("code", ex.query("code") == null ? "" : ex.query("code"));
        body.put("redirect_uri", callbackUrl());
        body.put("code_verifier", auth.verifier());
        HttpResponse<String> tokenReply = send(HttpRequest.newBuilder(URI.create(simulator.tokenEndpoint(auth.tenant())))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (enc(CLIENT_ID) + ":" + enc(secret)).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form(body))));
        JsonNode token = tokenReply == null ? null : parse(tokenReply.body());
        if (tokenReply == null || tokenReply.statusCode() != 200 || token == null || !token.hasNonNull("access_token")) {
            String error = token == null ? "no answer" : token.path("error").asText("HTTP " + tokenReply.statusCode());
            ex.html(502, Html.page(NAME, "<h1>Code exchange failed</h1><p id=\"error\" class=\"error\">" + Html.esc(error) + "</p>"));
            return;
        }

        StringBuilder html = new StringBuilder("<h1>").append(NAME).append(": signed in</h1>");
        String patient = token.path("patient").asText(null);
        String banner = patient == null ? null : patientName(auth.tenant(), patient, token.path("access_token").asText());
        if (banner != null) {
            html.append("<p>Patient <strong id=\"patient-name\">").append(Html.esc(banner)).append("</strong>, read from ")
                    .append("<code>Patient/").append(Html.esc(patient)).append("</code> with the access token.</p>");
        }
        html.append("<table><tr><th>token response</th><th></th></tr>");
        for (String field : List.of("tenant", "patient", "encounter", "user", "username", "need_patient_banner", "smart_style_url",
                "scope", "token_type", "expires_in")) {
            row(html, field, token.path(field).isMissingNode() ? null : token.path(field).asText());
        }
        row(html, "access_token", abbreviate(token.path("access_token").asText()));
        row(html, "refresh_token", token.hasNonNull("refresh_token") ? abbreviate(token.path("refresh_token").asText()) : null);
        JsonNode idToken = idTokenClaims(token.path("id_token").asText(null));
        if (idToken != null) {
            for (String claim : List.of("iss", "sub", "fhirUser", "name")) {
                row(html, "id_token " + claim, idToken.path(claim).isMissingNode() ? null : idToken.path(claim).asText());
            }
        }
        html.append("</table><p><a href=\"/launcher?tenant=").append(Html.esc(auth.tenant())).append("\">Back to the launcher</a></p>");
        ex.html(200, Html.page(NAME, html.toString()));
    }

    private String patientName(String tenant, String patient, String accessToken) {
        HttpResponse<String> reply = send(HttpRequest.newBuilder(URI.create(simulator.fhirBase(tenant) + "/Patient/" + enc(patient)))
                .header("Authorization", "Bearer " + accessToken).header("Accept", "application/fhir+json").GET());
        JsonNode resource = reply == null || reply.statusCode() != 200 ? null : parse(reply.body());
        return resource == null ? null : resource.path("name").path(0).path("text").asText(null);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The id_token's claims for display; this page trusts the TLS-less loopback channel it got them from. */
    private static JsonNode idTokenClaims(String jwt) {
        String[] parts = jwt == null ? new String[0] : jwt.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            return parse(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private String tenantOf(String iss) {
        for (String tenant : simulator.tenantIds()) {
            if (simulator.fhirBase(tenant).equals(iss)) {
                return tenant;
            }
        }
        return null;
    }

    private void prune() {
        Instant cutoff = simulator.now().minus(PENDING_LIFETIME);
        pending.values().removeIf(p -> p.created().isBefore(cutoff));
        while (pending.size() >= MAX_PENDING) {
            pending.entrySet().stream().min(Map.Entry.comparingByValue(java.util.Comparator.comparing(Pending::created)))
                    .ifPresent(oldest -> pending.remove(oldest.getKey(), oldest.getValue()));
        }
    }

    private static void row(StringBuilder html, String name, String value) {
        if (value != null) {
            html.append("<tr><th>").append(Html.esc(name)).append("</th><td><code id=\"").append(Html.esc(name.replace(' ', '-')))
                    .append("\">").append(Html.esc(value)).append("</code></td></tr>");
        }
    }

    private static String abbreviate(String token) {
        return token.length() <= 16 ? token : token.substring(0, 12) + "… (" + token.length() + " characters)";
    }

    private static JsonNode parse(String text) {
        try {
            return SimulatorConfig.JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private String randomToken() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String form(Map<String, String> params) {
        StringBuilder out = new StringBuilder();
        params.forEach((k, v) -> out.append(out.length() == 0 ? "" : "&").append(enc(k)).append('=').append(enc(v)));
        return out.toString();
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
