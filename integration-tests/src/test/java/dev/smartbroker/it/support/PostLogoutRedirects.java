package dev.smartbroker.it.support;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Makes a client accept one post-logout redirect URI for the length of a test, and restores the client afterwards.
 * It first asks Keycloak itself (an end-session request naming the URI, which Keycloak refuses with an error page
 * when the URI is not allowed) and changes the realm only when Keycloak refuses; {@link #changedRealm()} says so.
 */
public final class PostLogoutRedirects implements AutoCloseable {

    private static final String ATTRIBUTE = "post.logout.redirect.uris";

    private final Environment env;
    private final String path;
    /** The client as it was, put back on close; null when nothing had to change. */
    private final JsonNode original;

    private PostLogoutRedirects(Environment env, String path, JsonNode original) {
        this.env = env;
        this.path = path;
        this.original = original;
    }

    /** Allows {@code absoluteUri} (e.g. the app's {@code /logged-out}) as a post-logout redirect of {@code clientId}. */
    public static PostLogoutRedirects allow(Environment env, String clientId, String absoluteUri) {
        String path = "/realms/" + env.realm() + "/clients/" + env.admin().clientUuid(env.realm(), clientId);
        if (keycloakAccepts(env, clientId, absoluteUri)) {
            return new PostLogoutRedirects(env, path, null);
        }
        JsonNode original = env.admin().get(path).json();
        String current = original.path("attributes").path(ATTRIBUTE).asText("");
        env.admin().update(path, rep -> rep.withObject("/attributes").put(ATTRIBUTE,
                current.isEmpty() ? absoluteUri : current + "##" + absoluteUri));
        if (!keycloakAccepts(env, clientId, absoluteUri)) {
            throw new IllegalStateException("Keycloak still refuses " + absoluteUri + " as a post-logout redirect of " + clientId);
        }
        return new PostLogoutRedirects(env, path, original);
    }

    /** Whether the realm as exported lacked the URI, so this test had to add it. */
    public boolean changedRealm() {
        return original != null;
    }

    private static boolean keycloakAccepts(Environment env, String clientId, String absoluteUri) {
        // No session, no id_token_hint: Keycloak answers with its logout confirmation page if the URI is allowed.
        Http.Reply reply = Http.get(env.realmUrl() + "/protocol/openid-connect/logout?client_id="
                + URLEncoder.encode(clientId, StandardCharsets.UTF_8) + "&post_logout_redirect_uri="
                + URLEncoder.encode(absoluteUri, StandardCharsets.UTF_8), null);
        return reply.status() < 400;
    }

    @Override
    public void close() {
        if (original != null) {
            KeycloakAdmin.Response response = env.admin().put(path, (ObjectNode) original);
            if (response.status() / 100 != 2) {
                throw new IllegalStateException("could not restore " + path + ": " + response.body());
            }
        }
    }
}
