package dev.smartbroker.simulator;

import java.util.Date;
import java.util.UUID;
import java.util.function.Consumer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** Client keys and SMART client assertions (HL7 client-confidential-asymmetric), minted as a client would. */
final class TestKeys {

    private TestKeys() {
    }

    static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static ECKey ec384(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_384).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid assertion: iss = sub = clientId, aud, exp in 2 minutes, fresh jti, typ JWT, kid of the key. */
    static String assertion(String clientId, String aud, JWK key) {
        return assertion(clientId, aud, key, h -> { }, c -> { });
    }

    static String assertion(String clientId, String aud, JWK key, Consumer<JWSHeader.Builder> header, Consumer<JWTClaimsSet.Builder> claims) {
        return assertion(clientId, aud, key, key instanceof RSAKey ? JWSAlgorithm.RS384 : JWSAlgorithm.ES384, header, claims);
    }

    static String assertion(String clientId, String aud, JWK key, JWSAlgorithm alg, Consumer<JWSHeader.Builder> header,
                            Consumer<JWTClaimsSet.Builder> claims) {
        JWSHeader.Builder h = new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT);
        header.accept(h);
        long now = System.currentTimeMillis();
        JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(aud)
                .expirationTime(new Date(now + 120_000)).issueTime(new Date(now)).jwtID(UUID.randomUUID().toString());
        claims.accept(c);
        JWSHeader built = h.build();
        try {
            SignedJWT jwt = new SignedJWT(built, c.build());
            JWSSigner signer = key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
