package dev.smartbroker.cerner;

import java.util.Objects;
import java.util.Set;

import jakarta.ws.rs.GET;
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

/**
 * The realm's Cerner endpoints, under {@code /realms/{realm}/cerner}.
 *
 * <ul>
 *   <li>{@code GET jwks}: the JWKS URL to register in Cerner Central (System Account Management). It publishes
 *       exactly the realm's enabled RS384 and ES384 signing keys, the algorithms Cerner accepts for client
 *       assertions, including passive ones: a key added as passive is published before it signs anything, which
 *       is what a rotation without failed token requests needs (HL7 client-confidential-asymmetric).</li>
 * </ul>
 * Public only because JAX-RS requires it.
 */
public final class CernerRealmResource {

    static final Set<String> ASSERTION_ALGORITHMS = Set.of(CernerIdentityProviderConfig.ALG_RS384, CernerIdentityProviderConfig.ALG_ES384);

    private final KeycloakSession session;
    private final CernerRealmResourceSettings settings;

    CernerRealmResource(KeycloakSession session, CernerRealmResourceSettings settings) {
        this.session = session;
        this.settings = settings;
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
