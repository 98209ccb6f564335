package dev.smartbroker.cerner;

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

import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.crypto.KeyUse;
import org.keycloak.jose.jwk.JSONWebKeySet;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.utils.JWKSServerUtils;
import org.keycloak.services.cors.Cors;

/**
 * The realm's Cerner endpoints, under {@code /realms/{realm}/cerner}.
 *
 * <ul>
 *   <li>{@code GET|POST launch-token}: for an app holding its own Keycloak access token from an EHR launch, Cerner's
 *       access token of that launch (refreshed upstream by Cerner's rules), the FHIR base, patient, encounter and
 *       tenant. Only clients that have the {@value #TOKEN_SCOPE} client scope may call it; a token never leaves
 *       its launch, user or client. Errors are OAuth2-style JSON with a stable {@code error} code.</li>
 *   <li>{@code POST system-token}: SMART Backend Services for Keycloak clients, see {@link SystemTokenEndpoint}.</li>
 *   <li>{@code GET jwks}: the JWKS URL to register in Cerner Central (System Account Management). It publishes
 *       exactly the realm's enabled RS384 and ES384 signing keys, the algorithms Cerner accepts for client
 *       assertions, including passive ones: a key added as passive is published before it signs anything, which
 *       is what a rotation without failed token requests needs (HL7 client-confidential-asymmetric).</li>
 * </ul>
 * Public only because JAX-RS requires it.
 */
public final class CernerRealmResource {

    /** The client scope an admin assigns to an app to let it fetch its launch's Cerner token. */
    public static final String TOKEN_SCOPE = "cerner-launch-token";
    static final Set<String> ASSERTION_ALGORITHMS = Set.of(CernerIdentityProviderConfig.ALG_RS384, CernerIdentityProviderConfig.ALG_ES384);

    private final KeycloakSession session;
    private final CernerRealmResourceSettings settings;

    CernerRealmResource(KeycloakSession session, CernerRealmResourceSettings settings) {
        this.session = session;
        this.settings = settings;
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
        return new LaunchTokenEndpoint(session, cernerFactory()).handle();
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
        return new SystemTokenEndpoint(session, cernerFactory()).handle();
    }

    /** The JWKS URL of this realm, as admins register it in Cerner Central. */
    static String jwksUrl(KeycloakSession session, RealmModel realm) {
        return session.getContext().getUri(org.keycloak.urls.UrlType.FRONTEND).getBaseUriBuilder()
                .path("realms").path(realm.getName()).path(CernerRealmResourceProviderFactory.PROVIDER_ID).path("jwks").build().toString();
    }

    private CernerIdentityProviderFactory cernerFactory() {
        Object factory = session.getKeycloakSessionFactory()
                .getProviderFactory(IdentityProvider.class, CernerIdentityProviderFactory.PROVIDER_ID);
        return (CernerIdentityProviderFactory) factory;
    }

    @GET
    @Path("jwks")
    @Produces(MediaType.APPLICATION_JSON)
    public Response jwks() {
        RealmModel realm = session.getContext().getRealm();
        JWK[] keys = session.keys().getKeysStream(realm)
                .filter(k -> k.getStatus().isEnabled() && k.getPublicKey() != null && KeyUse.SIG.equals(k.getUse()))
                .filter(k -> ASSERTION_ALGORITHMS.contains(k.getAlgorithmOrDefault()))
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
