package dev.smartbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.nimbusds.jwt.JWTClaimsSet;

/**
 * Mints what the authorization server hands out: access tokens, id_tokens, refresh tokens, and the granted scopes.
 * All are opaque to clients; a Cerner tenant's look like Cerner's (§2.6, §2.8), a generic tenant's are random strings.
 */
final class TokenIssuer {

    private final CernerSimulator sim;
    private final State state;
    private final SecureRandom random;

    TokenIssuer(CernerSimulator sim, State state, SecureRandom random) {
        this.sim = sim;
        this.state = state;
        this.random = random;
    }

    /** requested ∩ registered; wildcards dropped silently (§2.2, §2.10); system/ scopes only for the system persona. */
    static Set<String> grant(String requested, List<String> registered, boolean system) {
        Set<String> granted = new LinkedHashSet<>();
        if (requested == null) {
            return granted;
        }
        for (String scope : requested.trim().split("\\s+")) {
            if (scope.isEmpty() || scope.contains("*") || !registered.contains(scope)) {
                continue;
            }
            if (system != scope.startsWith("system/")) {
                continue;
            }
            granted.add(scope);
        }
        return granted;
    }

    /** A new access token of this tenant and client, remembered until it expires. */
    String accessToken(String tenant, String clientId, Set<String> scopes, String patient, String encounter, String username) {
        String value = sim.urls().generic(tenant) ? randomId(32) : opaqueJwe();
        Instant now = sim.now();
        state.accessTokens.put(value, new State.AccessToken(value, tenant, clientId, Set.copyOf(scopes), patient, encounter, username,
                now.plusSeconds(sim.settings(tenant).accessTokenLifetimeSeconds)));
        sim.issued(new IssuedToken(tenant, clientId, "access", value, now));
        return value;
    }

    /**
     * The id_token, RS256, 600 s. Cerner's (§2.7): absolute fhirUser and the legacy profile claim, the oidc/idsps
     * issuer, the kid of the current {@code /jwk} key. A generic tenant's (docs/ehr/smart-app-launch.md,
     * scopes-and-launch-context): relative fhirUser, no profile claim, the FHIR base as issuer, no kid.
     */
    String idToken(String tenant, String clientId, SimulatorConfig.User user, String nonce, boolean unknownKid) {
        Instant now = sim.now();
        boolean generic = sim.urls().generic(tenant);
        String practitioner = "Practitioner/" + user.practitionerId();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(user.username())
                .audience(clientId)
                .issuer(sim.oidcIssuer(tenant))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .issueTime(Date.from(now));
        if (generic) {
            claims.claim("fhirUser", practitioner);
        } else {
            String fhirUser = sim.fhirBase(tenant) + "/" + practitioner;
            claims.claim("profile", fhirUser).claim("fhirUser", fhirUser);
        }
        if (sim.settings(tenant).idTokenName) {
            claims.claim("name", user.displayName()).claim("email", user.email());
        }
        if (nonce != null) {
            claims.claim("nonce", nonce);
        }
        return generic ? sim.signingKeys().signForTenant(tenant, claims.build(), unknownKid)
                : sim.signingKeys().sign(claims.build(), unknownKid);
    }

    /** A refresh token (Cerner's Base64 JSON form, or an opaque string for a generic tenant), remembered and listed in issuedTokens. */
    State.RefreshToken refreshToken(String tenant, String clientId, String scope, String patientId, String encounterId, String username,
                                    String sessionId, boolean online) {
        String value = sim.urls().generic(tenant) ? randomId(32) : cernerRefreshToken(online);
        State.RefreshToken rt = new State.RefreshToken(value, tenant, clientId, scope, patientId, encounterId, username, sessionId, online);
        state.refreshTokens.put(value, rt);
        sim.issued(new IssuedToken(tenant, clientId, "refresh", value, sim.now()));
        return rt;
    }

    /**
     * Looks like Cerner's JWE access tokens since 2025 (§2.6: five parts, a dir/A128CBC-HS256 header with an
     * {@code .oct} kid) and carries nothing a client could parse: the other parts are random.
     */
    String opaqueJwe() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString(("{\"zip\":\"DEF\",\"kid\":\"" + SigningKeys.kid(sim.now()) + ".oct\","
                + "\"cty\":\"JWT\",\"enc\":\"A128CBC-HS256\",\"alg\":\"dir\"}").getBytes(StandardCharsets.UTF_8));
        byte[] bytes = random(16 + 176 + 16);
        return header + ".." + b64.encodeToString(Arrays.copyOfRange(bytes, 0, 16)) + "."
                + b64.encodeToString(Arrays.copyOfRange(bytes, 16, 192)) + "." + b64.encodeToString(Arrays.copyOfRange(bytes, 192, 208));
    }

    /** Base64 (with padding) of Cerner's refresh-token JSON (§2.8); it holds a secret, so clients treat it as opaque. */
    static String cernerRefreshToken(boolean online) {
        String json = "{\"id\":\"" + UUID.randomUUID() + "\",\"secret\":\"" + UUID.randomUUID() + "\",\"ver\":\"1.1\",\"type\":\""
                + (online ? "online_access" : "offline_access") + "\",\"profile\":\"smart-v1\",\"persona\":\"provider\"}";
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code bytes} random bytes, base64url: transaction and session ids. */
    String randomId(int bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random(bytes));
    }

    private byte[] random(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
