package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Client authentication at the token and revocation endpoints: client_secret_basic, private_key_jwt (HL7
 * client-confidential-asymmetric, §3.2, §4) or a public client's client_id; a generic tenant also takes
 * client_secret_post (docs/ehr/smart-app-launch.md, client-confidential-symmetric), and a backend-services-only one
 * private_key_jwt alone. Every failure answers 401 invalid_client.
 */
final class ClientAuthentication {

    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** The only values of token_endpoint_auth_signing_alg_values_supported (§1.3, §3.2). */
    private static final Set<String> ASSERTION_ALGORITHMS = Set.of("RS384", "ES384");
    /** HL7 backend services: an assertion expires at most five minutes ahead (§4). */
    private static final int MAX_ASSERTION_LIFETIME_SECONDS = 300;

    private final CernerSimulator sim;
    private final State state;
    private final OAuthReplies replies;

    ClientAuthentication(CernerSimulator sim, State state, OAuthReplies replies) {
        this.sim = sim;
        this.state = state;
        this.replies = replies;
    }

    /** The client id the request claims, before authentication: for the log and for error_uri. */
    static String claimedClientId(Exchange ex, Map<String, String> form) {
        String header = ex.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] basic = basic(header);
            if (basic != null) {
                return basic[0];
            }
        }
        if (form.get("client_id") != null) {
            return form.get("client_id");
        }
        String assertion = form.get("client_assertion");
        if (assertion != null) {
            try {
                return SignedJWT.parse(assertion).getJWTClaimsSet().getIssuer();
            } catch (ParseException e) {
                return null;
            }
        }
        return null;
    }

    /** id and secret of a Basic header, each form-urlencoded first (RFC 6749 §2.3.1), or null. */
    private static String[] basic(String header) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return null;
        }
        try {
            return new String[] {URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
                    URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The authenticated client, or null once a 401 invalid_client has been answered (HL7 §4).
     *
     * @param audiences the values an assertion's aud may hold
     */
    AppRegistration authenticate(Exchange ex, Map<String, String> form, String tenant, Set<String> audiences) throws IOException {
        String header = ex.header("Authorization");
        boolean generic = sim.urls().generic(tenant);
        if (sim.backendOnly(tenant) && form.get("client_assertion") == null) {
            // SMART Backend Services: asymmetric client authentication only (docs/ehr/smart-app-launch.md, backend-services).
            replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, claimedClientId(ex, form), tenant);
            return null;
        }
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            // An assertion sent as a bearer token fails this way at Cerner, with client=unknown (§3.2).
            replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
            return null;
        }
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] basic = basic(header);
            if (basic == null) {
                replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
                return null;
            }
            AppRegistration app = state.apps.get(basic[0]);
            boolean idMatches = form.get("client_id") == null || form.get("client_id").equals(basic[0]);
            // One method per request (RFC 6749 §2.3): a generic tenant refuses a secret in both header and body.
            boolean twoMethods = form.get("client_assertion") != null || (generic && form.get("client_secret") != null);
            if (app == null || !idMatches || twoMethods || !secretMatches(app, basic[1])) {
                replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, basic[0], tenant);
                return null;
            }
            return app;
        }
        String assertion = form.get("client_assertion");
        if (assertion != null || form.get("client_assertion_type") != null) {
            if (assertion == null || !JWT_BEARER.equals(form.get("client_assertion_type"))) {
                replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_ASSERTION, form.get("client_id"), tenant);
                return null;
            }
            return verifyAssertion(ex, assertion, form.get("client_id"), tenant, audiences);
        }
        if (generic && form.get("client_secret") != null) {
            // client_secret_post (RFC 6749 §2.3.1): client_id and client_secret in the form body.
            AppRegistration app = form.get("client_id") == null ? null : state.apps.get(form.get("client_id"));
            if (app == null || !secretMatches(app, form.get("client_secret"))) {
                replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, form.get("client_id"), tenant);
                return null;
            }
            return app;
        }
        AppRegistration app = form.get("client_id") == null ? null : state.apps.get(form.get("client_id"));
        if (app == null || !app.publicClient()) {
            replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, form.get("client_id"), tenant);
            return null;
        }
        return app;
    }

    private static boolean secretMatches(AppRegistration app, String secret) {
        return app.clientSecret() != null && secret != null
                && MessageDigest.isEqual(app.clientSecret().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
    }

    /** SMART asymmetric client authentication (HL7 client-confidential-asymmetric; §3.2, §4). */
    private AppRegistration verifyAssertion(Exchange ex, String assertion, String clientIdParam, String tenant, Set<String> audiences)
            throws IOException {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(assertion);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_ASSERTION, clientIdParam, tenant);
            return null;
        }
        String iss = claims.getIssuer();
        AppRegistration app = iss == null ? null : state.apps.get(iss);
        String alg = jwt.getHeader().getAlgorithm().getName();
        String kid = jwt.getHeader().getKeyID();
        Instant now = sim.now();
        int skew = sim.settings(tenant).clockSkewSeconds;
        Instant exp = claims.getExpirationTime() == null ? null : claims.getExpirationTime().toInstant();
        String problem = null;
        if (app == null || app.jwksUrl() == null) {
            problem = CernerErrors.INVALID_CLIENT_CREDENTIALS;
        } else if (!ASSERTION_ALGORITHMS.contains(alg) || kid == null || !JOSEObjectType.JWT.equals(jwt.getHeader().getType())) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (jwt.getHeader().getJWKURL() != null && !jwt.getHeader().getJWKURL().toString().equals(app.jwksUrl())) {
            // HL7: a jku must be the registered JWKS URL; the simulator never fetches a jku.
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (!iss.equals(claims.getSubject()) || (clientIdParam != null && !clientIdParam.equals(iss))) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (claims.getAudience() == null || claims.getAudience().stream().noneMatch(audiences::contains)) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (exp == null || exp.isBefore(now.minusSeconds(skew))
                || exp.isAfter(now.plusSeconds(MAX_ASSERTION_LIFETIME_SECONDS + (long) skew))
                || (claims.getIssueTime() != null && claims.getIssueTime().toInstant().isAfter(now.plusSeconds(skew)))) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (claims.getJWTID() == null || claims.getJWTID().isEmpty()) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (!verify(jwt, alg, sim.clientKeys().key(app.jwksUrl(), kid))) {
            problem = CernerErrors.INVALID_SIGNATURE;
        } else if (state.jtis.putIfAbsent(iss + "|" + claims.getJWTID(), exp) != null) {
            // Recorded only once the signature holds, so that forged assertions cannot burn a client's jti values.
            problem = CernerErrors.ASSERTION_REPLAYED;
        }
        if (problem != null) {
            replies.tokenError(ex, 401, "invalid_client", problem, iss == null ? clientIdParam : iss, tenant);
            return null;
        }
        return app;
    }

    /** Exactly the key named by kid, of a type matching alg (HL7 §4: RS384 with RSA, ES384 with EC P-384). */
    private static boolean verify(SignedJWT jwt, String alg, JWK key) {
        if (key == null) {
            return false;
        }
        try {
            JWSVerifier verifier;
            if (JWSAlgorithm.RS384.getName().equals(alg) && key instanceof RSAKey rsa) {
                verifier = new RSASSAVerifier(rsa);
            } else if (JWSAlgorithm.ES384.getName().equals(alg) && key instanceof ECKey ec && Curve.P_384.equals(ec.getCurve())) {
                verifier = new ECDSAVerifier(ec);
            } else {
                return false;
            }
            return jwt.verify(verifier);
        } catch (JOSEException e) {
            return false;
        }
    }
}
