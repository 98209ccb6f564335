package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** The Keycloak admin REST API, as the bootstrap admin. */
public final class KeycloakAdmin {

    private final String baseUrl;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String token;
    private Instant tokenExpires = Instant.EPOCH;

    public KeycloakAdmin(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** A response of the admin API. */
    public record Response(int status, String body) {

        public JsonNode json() {
            return Json.parse(body);
        }
    }

    public Response get(String path) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + "/admin" + path)).GET());
    }

    public Response post(String path, Object body) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + "/admin" + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.write(body))));
    }

    public Response put(String path, Object body) {
        return putOnServer("/admin" + path, body);
    }

    public Response delete(String path) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + "/admin" + path)).DELETE());
    }

    /** GET of a server path outside the admin API (e.g. {@code /realms/master/it-clock/offset}), as the bootstrap admin. */
    public Response getOnServer(String serverPath) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + serverPath)).GET());
    }

    /** PUT of JSON to a server path outside the admin API, as the bootstrap admin. */
    public Response putOnServer(String serverPath, Object body) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + serverPath))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.write(body))));
    }

    /** POST of JSON to a server path outside the admin API, as the bootstrap admin. */
    public Response postOnServer(String serverPath, Object body) {
        return send(() -> HttpRequest.newBuilder(URI.create(baseUrl + serverPath))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.write(body))));
    }

    /** User events of a realm, newest first, optionally of given types. */
    public List<JsonNode> events(String realm, String... types) {
        StringBuilder path = new StringBuilder("/realms/" + realm + "/events?max=200");
        for (String type : types) {
            path.append("&type=").append(URLEncoder.encode(type, StandardCharsets.UTF_8));
        }
        Response response = get(path.toString());
        List<JsonNode> events = new ArrayList<>();
        response.json().forEach(events::add);
        return events;
    }

    public void clearEvents(String realm) {
        delete("/realms/" + realm + "/events");
    }

    /** Internal id of a client. */
    public String clientUuid(String realm, String clientId) {
        JsonNode clients = get("/realms/" + realm + "/clients?clientId=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)).json();
        if (!clients.isArray() || clients.isEmpty()) {
            throw new IllegalStateException("no client " + clientId);
        }
        return clients.get(0).get("id").asText();
    }

    /** Active user sessions of a client. */
    public List<JsonNode> clientSessions(String realm, String clientId) {
        List<JsonNode> sessions = new ArrayList<>();
        get("/realms/" + realm + "/clients/" + clientUuid(realm, clientId) + "/user-sessions").json().forEach(sessions::add);
        return sessions;
    }

    /** All active user sessions of the realm (sum over clients may count a session twice; this does not). */
    public int userSessionCount(String realm) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (JsonNode stat : get("/realms/" + realm + "/client-session-stats").json()) {
            for (JsonNode session : get("/realms/" + realm + "/clients/" + stat.path("id").asText() + "/user-sessions?max=1000").json()) {
                ids.add(session.path("id").asText());
            }
        }
        return ids.size();
    }

    /** A realm resource's JSON, changed by {@code change}, written back. */
    public void update(String path, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> change) {
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) get(path).json();
        change.accept(rep);
        Response response = put(path, rep);
        if (response.status() / 100 != 2) {
            throw new IllegalStateException("PUT " + path + " answered " + response.status() + ": " + response.body());
        }
    }

    public int sessionCount(String realm) {
        int count = 0;
        for (JsonNode stat : get("/realms/" + realm + "/client-session-stats").json()) {
            count += stat.path("active").asInt();
        }
        return count;
    }

    private synchronized void forgetToken() {
        token = null;
    }

    private synchronized String token() {
        if (token == null || Instant.now().isAfter(tokenExpires)) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/realms/master/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(Browser.formBody(Map.of("grant_type", "password",
                            "client_id", "admin-cli", "username", "admin", "password", "admin"))))
                    .build();
            try {
                JsonNode json = Json.parse(client.send(request, HttpResponse.BodyHandlers.ofString()).body());
                token = json.get("access_token").asText();
                tokenExpires = Instant.now().plusSeconds(json.get("expires_in").asLong() - 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return token;
    }

    /**
     * Sends the request with the admin's token; on 401 once more with a new token. The token's expiry is tracked on
     * this JVM's clock, while Keycloak judges it on its own, which the time-shifting tests move (see {@link Clocks}).
     */
    private Response send(java.util.function.Supplier<HttpRequest.Builder> request) {
        try {
            HttpResponse<String> response = client.send(request.get().header("Authorization", "Bearer " + token())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401) {
                forgetToken();
                response = client.send(request.get().header("Authorization", "Bearer " + token())
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            }
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
