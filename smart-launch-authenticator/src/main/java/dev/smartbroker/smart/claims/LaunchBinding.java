package dev.smartbroker.smart.claims;

import java.util.Optional;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import org.keycloak.OAuth2Constants;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.protocol.oidc.utils.PkceUtils;
import org.keycloak.representations.JsonWebToken;

/**
 * Decides which launch a token being built belongs to. Never "the latest launch of the session": that is the
 * cross-patient leak measured in docs/launch-isolation.md. Instead, per request:
 * <ul>
 *   <li>code exchange: the launch bound to this authorization request's PKCE challenge, recomputed from the
 *       {@code code_verifier} Keycloak has just verified;</li>
 *   <li>refresh: the {@code smart_launch} claim of the refresh token being redeemed (signed by Keycloak);</li>
 *   <li>userinfo and introspection: the {@code smart_launch} claim of the access token presented.</li>
 * </ul>
 * The answer is cached on the {@link ClientSessionContext} so that every mapper of one token response agrees.
 * No answer means no launch context at all (fail closed).
 */
public final class LaunchBinding {

    private static final String ATTRIBUTE = "smart.launchContext";
    private static final LaunchContext NONE = new LaunchContext(null, null, null, null, null, null, null, null, null, 0);

    private LaunchBinding() {
    }

    /** The launch context of the token being built, or empty. */
    public static Optional<LaunchContext> resolve(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        if (clientSessionCtx == null || clientSessionCtx.getClientSession() == null) {
            return Optional.empty();
        }
        LaunchContext cached = clientSessionCtx.getAttribute(ATTRIBUTE, LaunchContext.class);
        if (cached != null) {
            return cached == NONE ? Optional.empty() : Optional.of(cached);
        }
        Optional<LaunchContext> context = launch(session, clientSessionCtx)
                .flatMap(bound -> LaunchStore.context(session, clientSessionCtx.getClientSession(), bound));
        clientSessionCtx.setAttribute(ATTRIBUTE, context.orElse(NONE));
        return context;
    }

    /**
     * Whether the launch of this token response was already looked up (by the mappers, from the same code verifier or
     * refresh token); {@link #resolve} then answers from that, without another lookup.
     */
    static boolean answered(ClientSessionContext clientSessionCtx) {
        return clientSessionCtx.getAttribute(ATTRIBUTE, LaunchContext.class) != null;
    }

    /** Remembers the answer, e.g. when it was found from the code data rather than the request. */
    static void remember(ClientSessionContext clientSessionCtx, Optional<LaunchContext> context) {
        clientSessionCtx.setAttribute(ATTRIBUTE, context.orElse(NONE));
    }

    private static Optional<LaunchStore.Bound> launch(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        String grantType = clientSessionCtx.getAttribute(Constants.GRANT_TYPE, String.class);
        HttpRequest request = session.getContext().getHttpRequest();
        if (OAuth2Constants.AUTHORIZATION_CODE.equals(grantType)) {
            String verifier = form(request).getFirst(OAuth2Constants.CODE_VERIFIER);
            if (verifier == null) {
                return Optional.empty();
            }
            String challenge = PkceUtils.encodeCodeChallenge(verifier, OAuth2Constants.PKCE_METHOD_S256);
            return LaunchStore.boundLaunch(session, clientSessionCtx.getClientSession().getClient(), challenge);
        }
        if (OAuth2Constants.REFRESH_TOKEN.equals(grantType)) {
            return claim(session, form(request).getFirst(OAuth2Constants.REFRESH_TOKEN)).map(LaunchStore.Bound::of);
        }
        if (grantType != null) {
            // client_credentials, password, token exchange, CIBA...: no EHR launch behind them.
            return Optional.empty();
        }
        // Userinfo (Authorization header or access_token form field) and introspection (token form field).
        String bearer = bearer(request);
        MultivaluedMap<String, String> form = form(request);
        if (bearer == null) {
            bearer = form.getFirst(OAuth2Constants.ACCESS_TOKEN) != null ? form.getFirst(OAuth2Constants.ACCESS_TOKEN) : form.getFirst("token");
        }
        if (bearer == null && OAuth2Constants.REFRESH_TOKEN.equals(form.getFirst(OAuth2Constants.GRANT_TYPE))) {
            // The refresh of an offline token: Keycloak builds its ID token on a context of its own, made for the
            // offline session, which does not say the grant type (docs/keycloak-notes.md). The refresh token
            // redeemed, which Keycloak has just verified, still names the launch.
            bearer = form.getFirst(OAuth2Constants.REFRESH_TOKEN);
        }
        return claim(session, bearer).map(LaunchStore.Bound::of);
    }

    /** The {@code smart_launch} claim of a token Keycloak signed, or empty when it is not one. */
    static Optional<String> claim(KeycloakSession session, String encoded) {
        if (encoded == null || encoded.isBlank()) {
            return Optional.empty();
        }
        JsonWebToken token = session.tokens().decode(encoded, JsonWebToken.class);
        if (token == null) {
            return Optional.empty();
        }
        Object value = token.getOtherClaims().get(Smart.CLAIM_LAUNCH_ID);
        return value instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }

    private static String bearer(HttpRequest request) {
        if (request == null) {
            return null;
        }
        String header = request.getHttpHeaders().getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        return null;
    }

    private static MultivaluedMap<String, String> form(HttpRequest request) {
        if (request == null) {
            return new jakarta.ws.rs.core.MultivaluedHashMap<>();
        }
        MediaType type = request.getHttpHeaders().getMediaType();
        if (type == null || !MediaType.APPLICATION_FORM_URLENCODED_TYPE.isCompatible(type)) {
            return new jakarta.ws.rs.core.MultivaluedHashMap<>();
        }
        return request.getDecodedFormParameters();
    }
}
