package dev.smartbroker.smart.backend;

import dev.smartbroker.smart.idp.SmartSettings;
import org.keycloak.OAuth2Constants;
import org.keycloak.common.util.SecretGenerator;
import org.keycloak.common.util.Time;
import org.keycloak.crypto.SignatureProvider;
import org.keycloak.crypto.SignatureSignerContext;
import org.keycloak.jose.jws.JWSBuilder;
import org.keycloak.models.KeycloakSession;
import org.keycloak.representations.JsonWebToken;

/**
 * SMART client assertions (HL7 client-confidential-asymmetric, backend-services; docs/ehr/cerner.md §3.2):
 * header {@code alg} RS384 or ES384, {@code kid}, {@code typ: JWT}; claims {@code iss} = {@code sub} = client id,
 * {@code aud} = the exact token endpoint, {@code exp} at most five minutes ahead, a unique {@code jti}.
 * Signed with the realm's active key for the algorithm: the private key never leaves Keycloak.
 */
public final class ClientAssertions {

    private ClientAssertions() {
    }

    public static JsonWebToken claims(String clientId, String tokenEndpoint, int lifetimeSeconds) {
        long now = Time.currentTimeSeconds();
        JsonWebToken jwt = new JsonWebToken();
        jwt.id(SecretGenerator.getInstance().generateSecureID());
        jwt.issuer(clientId);
        jwt.subject(clientId);
        jwt.audience(tokenEndpoint);
        jwt.iat(now);
        jwt.exp(now + Math.min(SmartSettings.MAX_ASSERTION_LIFETIME_SECONDS, lifetimeSeconds));
        return jwt;
    }

    /**
     * Signs an assertion with the realm's active key for {@code algorithm}.
     *
     * @throws IllegalStateException when the realm has no active key for the algorithm
     */
    public static String sign(KeycloakSession session, String algorithm, JsonWebToken claims) {
        SignatureProvider provider = session.getProvider(SignatureProvider.class, algorithm);
        if (provider == null) {
            throw new IllegalStateException("No signature provider for " + algorithm);
        }
        SignatureSignerContext signer;
        try {
            signer = provider.signer();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Realm has no active " + algorithm + " signing key for client assertions", e);
        }
        return new JWSBuilder().type(OAuth2Constants.JWT).jsonContent(claims).sign(signer);
    }
}
