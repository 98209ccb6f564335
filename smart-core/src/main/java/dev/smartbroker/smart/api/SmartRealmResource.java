package dev.smartbroker.smart.api;

import java.util.Objects;
import java.util.Set;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.crypto.KeyUse;
import org.keycloak.jose.jwk.JSONWebKeySet;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.utils.JWKSServerUtils;
import org.keycloak.services.cors.Cors;

/**
 * The realm's SMART API, under {@code /realms/{realm}/smart} (and, for Cerner tenants, {@code /realms/{realm}/cerner}).
 *
 * <ul>
 *   <li>{@code GET|POST launch-token}: for an app holding its own Keycloak access token from an EHR launch, the EHR's
 *       access token of that launch (refreshed upstream by its tenant's rules), the FHIR base, patient, encounter and
 *       tenant. Only clients that have one of this path's client scopes may call it; a token never leaves its launch,
 *       user or client. Errors are OAuth2-style JSON with a stable {@code error} code.</li>
 *   <li>{@code POST system-token}: SMART Backend Services for Keycloak clients, see {@link SystemTokenEndpoint}.</li>
 *   <li>{@code GET jwks}: the JWKS URL to register at the EHR. It publishes exactly the realm's enabled signing keys of
 *       the algorithms this path's EHRs accept for client assertions, including passive ones: a key added as passive is
 *       published before it signs anything, which is what a rotation without failed token requests needs
 *       (docs/ehr/smart-app-launch.md §7).</li>
 * </ul>
 * Public only because JAX-RS requires it.
 */
public final class SmartRealmResource {

    private final KeycloakSession session;
    private final SmartApiSettings settings;
    private final Set<String> tokenScopes;
    private final Set<String> assertionAlgorithms;
    private final String path;

    SmartRealmResource(KeycloakSession session, SmartApiSettings settings, Set<String> tokenScopes, Set<String> assertionAlgorithms,
                       String path) {
        this.session = session;
        this.settings = settings;
        this.tokenScopes = Set.copyOf(tokenScopes);
        this.assertionAlgorithms = Set.copyOf(assertionAlgorithms);
        this.path = path;
    }

    @OPTIONS
    @Path("launch-token")
    public Response launchTokenPreflight() {
        return Cors.builder().auth().allowedMethods("GET", "POST").preflight().add(Response.ok());
    }

    @GET
    @Path("launch-token")
    @Produces(MediaType.APPLICATION_JSON)
    public Response launchToken() {
        return new LaunchTokenEndpoint(session, tokenScopes).handle();
    }

    @POST
    @Path("launch-token")
    @Produces(MediaType.APPLICATION_JSON)
    public Response launchTokenPost() {
        return launchToken();
    }

    @POST
    @Path("system-token")
    @Produces(MediaType.APPLICATION_JSON)
    public Response systemToken() {
        return new SystemTokenEndpoint(session, jwksUrl(session, session.getContext().getRealm(), path)).handle();
    }

    /** The JWKS URL of this realm under {@code path}, as admins register it at the EHR. */
    public static String jwksUrl(KeycloakSession session, RealmModel realm, String path) {
        return session.getContext().getUri(org.keycloak.urls.UrlType.FRONTEND).getBaseUriBuilder()
                .path("realms").path(realm.getName()).path(path).path("jwks").build().toString();
    }

    @GET
    @Path("jwks")
    @Produces(MediaType.APPLICATION_JSON)
    public Response jwks() {
        RealmModel realm = session.getContext().getRealm();
        JWK[] keys = session.keys().getKeysStream(realm)
                .filter(k -> k.getStatus().isEnabled() && k.getPublicKey() != null && KeyUse.SIG.equals(k.getUse()))
                .filter(k -> assertionAlgorithms.contains(k.getAlgorithmOrDefault()))
                .map(JWKSServerUtils::toJwk)
                .filter(Objects::nonNull)
                .toArray(JWK[]::new);
        JSONWebKeySet set = new JSONWebKeySet();
        set.setKeys(keys);
        CacheControl cacheControl = new CacheControl();
        cacheControl.setMaxAge(settings.jwksMaxAgeSeconds());
        cacheControl.setNoTransform(false);
        return Response.ok(set, MediaType.APPLICATION_JSON_TYPE).cacheControl(cacheControl).build();
    }
}
