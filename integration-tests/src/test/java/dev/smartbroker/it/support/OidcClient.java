package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An app's OIDC client, scripted: builds the authorization request (state, nonce, PKCE S256), and exchanges and
 * refreshes tokens at Keycloak. It stands in for an app's OIDC library, so that tests can hold several launches'
 * tokens side by side.
 */
public final class OidcClient {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String realmUrl;
    private final String clientId;
    private final String clientSecret;
    private final String redirectUri;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public OidcClient(String realmUrl, String clientId, String clientSecret, String redirectUri) {
        this.realmUrl = realmUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.redirectUri = redirectUri;
    }

    /** One authorization request of the app, with its secrets. */
    public record AuthorizationRequest(String url, String state, String nonce, String codeVerifier) {
    }

    /** A token endpoint answer. */
    public record TokenResponse(int status, JsonNode json) {

        public String accessToken() {
            return json.path("access_token").asText(null);
        }

        public String refreshToken() {
            return json.path("refresh_token").asText(null);
        }

        public String idToken() {
            return json.path("id_token").asText(null);
        }

        public JsonNode accessTokenClaims() {
            return Json.jwtPayload(accessToken());
        }

        public JsonNode idTokenClaims() {
            return Json.jwtPayload(idToken());
        }
    }

    public String redirectUri() {
        return redirectUri;
    }

    public String clientId() {
        return clientId;
    }

    public AuthorizationRequest authorizationRequest(Map<String, String> extraParameters) {
        return authorizationRequest(extraParameters, true);
    }

    public AuthorizationRequest authorizationRequest(Map<String, String> extraParameters, boolean pkce) {
        String state = random(16);
        String nonce = random(16);
        String verifier = random(32);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_id", clientId);
        params.put("redirect_uri", redirectUri);
        params.put("response_type", "code");
        params.put("scope", "openid profile");
        params.put("state", state);
        params.put("nonce", nonce);
        if (pkce) {
            params.put("code_challenge", challenge(verifier));
            params.put("code_challenge_method", "S256");
        }
        params.putAll(extraParameters);
        String query = params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return new AuthorizationRequest(realmUrl + "/protocol/openid-connect/auth?" + query, state, nonce, pkce ? verifier : null);
    }

    /** Exchanges the code the browser was redirected with, checking state first as an app must. */
    public TokenResponse exchange(AuthorizationRequest request, String redirectLocation) {
        Map<String, String> response = Browser.query(redirectLocation);
        if (!request.state().equals(response.get("state"))) {
            throw new AssertionError("state mismatch in " + redirectLocation);
        }
        if (response.get("code") == null) {
            throw new AssertionError("no code in " + redirectLocation);
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", response.get("code"));
        form.put("redirect_uri", redirectUri);
        if (request.codeVerifier() != null) {
            form.put("code_verifier", request.codeVerifier());
        }
        return token(form);
    }

    public TokenResponse refresh(String refreshToken) {
        return token(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken));
    }

    public JsonNode userinfo(String accessToken) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(realmUrl + "/protocol/openid-connect/userinfo"))
                .header("Authorization", "Bearer " + accessToken).GET().build();
        return Json.parse(send(request).body());
    }

    public JsonNode introspect(String token) {
        return Json.parse(send(authenticated(HttpRequest.newBuilder(URI.create(realmUrl + "/protocol/openid-connect/token/introspect")),
                Map.of("token", token))).body());
    }

    public TokenResponse token(Map<String, String> form) {
        HttpResponse<String> response = send(authenticated(HttpRequest.newBuilder(URI.create(realmUrl + "/protocol/openid-connect/token")), form));
        return new TokenResponse(response.statusCode(), Json.parse(response.body()));
    }

    private HttpRequest authenticated(HttpRequest.Builder builder, Map<String, String> form) {
        Map<String, String> body = new LinkedHashMap<>(form);
        if (clientSecret != null) {
            builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (URLEncoder.encode(clientId, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8)));
        } else {
            body.put("client_id", clientId);
        }
        return builder.header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(Browser.formBody(body))).build();
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
