package dev.smartbroker.simulator;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * The authorization server's keys, published at {@code /jwk} like Cerner's (docs/ehr/cerner.md §7): RSA keys for
 * id_tokens with timestamp kids ({@code 2026-11-22T10:44:00.000.rsa}), plus EC keys, no {@code alg} or {@code use}.
 * A rotated key signs at once but may be published later, as Cerner was seen doing (§2.7).
 */
final class SigningKeys {

    private static final DateTimeFormatter KID = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    private record Published(RSAKey key, Instant publishAt) {
    }

    private final List<Published> rsa = new ArrayList<>();
    private final List<JWK> ec = new ArrayList<>();
    private final RSAKey rogue;
    /** One RSA key per generic tenant, without a kid (docs/ehr/smart-app-launch.md). */
    private final Map<String, RSAKey> tenantKeys = new ConcurrentHashMap<>();
    private final Object rotation = new Object();
    private final Clock clock;

    SigningKeys(Clock clock) {
        this.clock = clock;
        try {
            Instant now = clock.instant();
            rsa.add(new Published(generate(now.minusSeconds(4 * 86_400)), now.minusSeconds(4 * 86_400)));
            rsa.add(new Published(generate(now.minusSeconds(2 * 86_400)), now.minusSeconds(2 * 86_400)));
            rsa.add(new Published(generate(now), now));
            ec.add(new ECKeyGenerator(Curve.P_256).keyID(kid(now) + ".ec.es256").generate().toPublicJWK());
            ec.add(new ECKeyGenerator(Curve.P_384).keyID(kid(now) + ".ec.es384").generate().toPublicJWK());
            rogue = new RSAKeyGenerator(2048).keyID(kid(now.minusSeconds(1)) + ".rsa").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RSAKey generate(Instant at) throws JOSEException {
        return new RSAKeyGenerator(2048).keyID(kid(at) + ".rsa").generate();
    }

    /** Cerner's kid timestamp form, e.g. {@code 2026-11-22T10:44:00.000} (UTC, no zone letter). */
    static String kid(Instant at) {
        return KID.format(at);
    }

    /** A new current key; it is listed at /jwk {@code publishDelaySeconds} from now (Cerner was seen signing first, §2.7). */
    void rotate(int publishDelaySeconds) {
        // Key generation takes a while: only rotations wait for each other, signing goes on with the current key.
        synchronized (rotation) {
            try {
                Instant now = clock.instant();
                String last = current().getKeyID();
                while ((kid(now) + ".rsa").compareTo(last) <= 0) {
                    // kids are timestamps to the millisecond: two rotations within one must still differ, and sort.
                    now = now.plusMillis(1);
                }
                RSAKey key = generate(now);
                synchronized (this) {
                    rsa.add(new Published(key, clock.instant().plusSeconds(Math.max(0, publishDelaySeconds))));
                }
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    synchronized RSAKey current() {
        return rsa.get(rsa.size() - 1).key();
    }

    /** The public JWKS as it reads now. */
    synchronized Map<String, Object> jwks() {
        Instant now = clock.instant();
        List<Map<String, Object>> keys = new ArrayList<>();
        // The newest three RSA keys that are published, like Cerner's 2-day rotation (§2.7).
        List<Published> published = rsa.stream().filter(p -> !p.publishAt().isAfter(now)).toList();
        for (Published p : published.subList(Math.max(0, published.size() - 3), published.size())) {
            keys.add(withoutAlgUse(p.key().toPublicJWK()));
        }
        for (JWK key : ec) {
            keys.add(withoutAlgUse(key));
        }
        return Map.of("keys", keys);
    }

    private static Map<String, Object> withoutAlgUse(JWK key) {
        Map<String, Object> json = new LinkedHashMap<>(key.toJSONObject());
        json.remove("alg");
        json.remove("use");
        return json;
    }

    /** Gives a generic tenant its own RSA key (no kid); at start, so that no request waits for key generation. */
    void addTenantKey(String tenant) {
        try {
            tenantKeys.put(tenant, new RSAKeyGenerator(2048).generate());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A generic tenant's JWKS: exactly its one RSA key, with {@code use} and {@code alg} and without a kid. */
    Map<String, Object> tenantJwks(String tenant) {
        Map<String, Object> json = new LinkedHashMap<>(tenantKeys.get(tenant).toPublicJWK().toJSONObject());
        json.put("use", "sig");
        json.put("alg", "RS256");
        return Map.of("keys", List.of(json));
    }

    /**
     * Signs a generic tenant's id_token: RS256, a header without kid (the JWKS has one key); with {@code unpublishedKey},
     * a key the tenant never published (fault UNKNOWN_KID).
     */
    String signForTenant(String tenant, JWTClaimsSet claims, boolean unpublishedKey) {
        RSAKey key = unpublishedKey ? rogue : tenantKeys.get(tenant);
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs an id_token (RS256, Cerner spec §2.7) with the current key, or with one never published (fault UNKNOWN_KID). */
    String sign(JWTClaimsSet claims, boolean unpublishedKey) {
        RSAKey key = unpublishedKey ? rogue : current();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

}
