package dev.smartbroker.it.bench.launch;

import java.security.Key;
import java.text.ParseException;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Checks the ID token of every measured launch as an app would, without a network call: signature by a key of the
 * realm's JWKS (fetched once before the run), issuer, audience, expiry, the nonce of this request, the user, and for
 * the broker the launched patient. Returns a reason naming what failed, never a token or claim value (patient ids
 * stay out of it too).
 */
final class IdTokenCheck {

    private final String issuer;
    private final Map<String, Key> keys = new HashMap<>();
    private final DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();

    IdTokenCheck(String realmUrl, String jwksJson) {
        this.issuer = realmUrl;
        try {
            for (JWK jwk : JWKSet.parse(jwksJson).getKeys()) {
                if (jwk instanceof AsymmetricJWK asymmetric && "sig".equals(jwk.getKeyUse() == null ? "sig" : jwk.getKeyUse().identifier())) {
                    keys.put(jwk.getKeyID(), asymmetric.toPublicKey());
                }
            }
        } catch (ParseException | JOSEException e) {
            throw new IllegalStateException("the realm's JWKS cannot be read", e);
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException("the realm's JWKS has no signing key");
        }
    }

    /** What the token of one launch must say. */
    record Expected(String clientId, String subject, String nonce, String patient, String tenant) {
    }

    /** Null when the token is right, else what is wrong with it. */
    String problem(String idToken, Expected expected) {
        if (idToken == null || idToken.isEmpty()) {
            return "no id_token";
        }
        try {
            SignedJWT jwt = SignedJWT.parse(idToken);
            Key key = keys.get(jwt.getHeader().getKeyID());
            if (key == null) {
                return "id_token signed with an unknown kid";
            }
            JWSVerifier verifier = verifiers.createJWSVerifier(jwt.getHeader(), key);
            if (!jwt.verify(verifier)) {
                return "id_token signature invalid";
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            if (!issuer.equals(claims.getIssuer())) {
                return "id_token iss is not the realm";
            }
            if (claims.getAudience() == null || !claims.getAudience().contains(expected.clientId())) {
                return "id_token aud lacks the client";
            }
            if (claims.getExpirationTime() == null || claims.getExpirationTime().before(new Date())) {
                return "id_token expired";
            }
            if (!expected.nonce().equals(claims.getStringClaim("nonce"))) {
                return "id_token nonce is not this request's";
            }
            if (!expected.subject().equals(claims.getSubject())) {
                return "id_token sub is not the expected user";
            }
            if (expected.patient() != null && !expected.patient().equals(claims.getStringClaim("patient"))) {
                return claims.getClaim("patient") == null ? "id_token has no patient" : "id_token names another patient";
            }
            if (expected.tenant() != null && !expected.tenant().equals(claims.getStringClaim("tenant"))) {
                return "id_token tenant is not the launch's";
            }
            return null;
        } catch (ParseException e) {
            return "id_token unreadable";
        } catch (JOSEException e) {
            return "id_token signature cannot be checked";
        }
    }
}
