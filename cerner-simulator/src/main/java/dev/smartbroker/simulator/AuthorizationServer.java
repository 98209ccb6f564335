package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

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
 * The tenant's authorization server: authorize (provider persona, GET and POST, with login and consent pages),
 * token (authorization_code, refresh_token, client_credentials), revocation. Shapes per docs/ehr/cerner.md §2-§4.
 */
final class AuthorizationServer {

    static final String SESSION_COOKIE = "CERNER_SIM_SESSION";
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** The only values of token_endpoint_auth_signing_alg_values_supported (§1.3, §3.2). */
    private static final Set<String> ASSERTION_ALGORITHMS = Set.of("RS384", "ES384");
    /** HL7 backend services: an assertion expires at most five minutes ahead (§4). */
    private static final int MAX_ASSERTION_LIFETIME_SECONDS = 300;
    /** RFC 7636 §4.2: 43 to 128 characters of the unreserved set. */
    private static final Pattern CODE_CHALLENGE = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
    /** Seconds a clinician may spend on the login and consent pages. */
    private static final int TXN_LIFETIME_SECONDS = 1800;
    /** Cerner's Active User Presence (§2.5): seconds until the online session counts as inactive. */
    private static final int ACTIVE_TTL_SECONDS = 3600;
    private static final Set<FaultType> AUTHORIZE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.ACCESS_DENIED);
    private static final Set<FaultType> TOKEN_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_GRANT, FaultType.INVALID_CLIENT);
    private static final Set<FaultType> CODE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_GRANT, FaultType.INVALID_CLIENT, FaultType.UNKNOWN_KID, FaultType.EXPIRED_CODE);
    private static final Set<FaultType> REVOKE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_CLIENT);

    private final CernerSimulator sim;
    private final State state;
    private final SecureRandom random;

    AuthorizationServer(CernerSimulator sim, State state, SecureRandom random) {
        this.sim = sim;
        this.state = state;
        this.random = random;
    }

    // ================================================================ authorize

    /** GET or POST (authorize-post) authorization request, provider persona (§2.2). */
    void authorize(Exchange ex, String tenant) throws IOException {
        Map<String, String> p = ex.params();
        String clientId = p.get("client_id");
        ex.clientId = clientId;
        AppRegistration app = clientId == null ? null : state.apps.get(clientId);
        // Client and redirect URI failures show a page: never redirect to an unverified URI (RFC 6749 §4.1.2.1).
        if (app == null || app.isSystem()) {
            errorPage(ex, "Unknown application", "The client_id is not a registered provider application of this tenant.");
            return;
        }
        String redirect = p.get("redirect_uri");
        boolean omitted = redirect == null || redirect.isEmpty();
        if (omitted) {
            if (app.redirectUris().size() != 1) {
                errorPage(ex, "Redirect URI required", "This application has " + app.redirectUris().size()
                        + " registered redirect URIs: the request must name one.");
                return;
            }
            redirect = app.redirectUris().get(0);
        } else if (!app.redirectUris().contains(redirect)) {
            // Exact string match, trailing slash included (§2.2, §5).
            errorPage(ex, "Redirect URI mismatch", redirect + " is not registered for this application.");
            return;
        }
        String st = p.get("state");
        Fault fault = sim.fault(ex, tenant, AUTHORIZE_FAULTS);
        if (fault != null) {
            if (fault.type() == FaultType.ACCESS_DENIED) {
                redirectError(ex, redirect, st, "access_denied", CernerErrors.ACCESS_DENIED, clientId, tenant);
            } else {
                sim.answerGeneric(ex, fault);
            }
            return;
        }
        if (!"code".equals(p.get("response_type"))) {
            redirectError(ex, redirect, st, "unsupported_response_type", CernerErrors.UNSUPPORTED_RESPONSE_TYPE, clientId, tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        String aud = p.get("aud");
        String fhirBase = sim.fhirBase(tenant);
        boolean audOk = aud != null && (aud.equals(fhirBase)
                || (settings.lenientAudTrailingSlash && aud.replaceAll("/+$", "").equals(fhirBase)));
        if (!audOk) {
            // "Requests without aud are automatically rejected" (§2.2); the aud must be the iss, exactly.
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_AUDIENCE, clientId, tenant);
            return;
        }
        String launchId = p.get("launch");
        if (launchId == null || launchId.isEmpty()) {
            // The provider persona wants an EHR launch (§2.1, §2.9).
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.LAUNCH_REQUIRED, clientId, tenant);
            return;
        }
        State.Launch launch = state.launches.get(launchId);
        if (launch == null || launch.expires().isBefore(Instant.now()) || !launch.tenant().equals(tenant)
                || !clientId.equals(launch.clientId())) {
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_LAUNCH, clientId, tenant);
            return;
        }
        String challenge = p.get("code_challenge");
        if (challenge != null) {
            // S256 only; plain (also the RFC 7636 default when the method is absent) is refused (HL7, §4 rule 3).
            if (!"S256".equals(p.get("code_challenge_method")) || !CODE_CHALLENGE.matcher(challenge).matches()) {
                redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, clientId, tenant);
                return;
            }
        } else if (settings.requirePkce) {
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, clientId, tenant);
            return;
        }
        Set<String> granted = grant(p.get("scope"), app.scopes(), false);
        if (granted.isEmpty()) {
            redirectError(ex, redirect, st, "unauthorized_client", CernerErrors.GRANT_EMPTY_SCOPES, clientId, tenant);
            return;
        }
        if (launch.patientId() == null && granted.stream().anyMatch(s -> s.startsWith("patient/"))) {
            redirectError(ex, redirect, st, "access_denied", CernerErrors.MISSING_PATIENT, clientId, tenant);
            return;
        }
        State.Txn txn = new State.Txn(token(18), tenant, clientId, redirect, omitted, st, String.join(" ", granted), launch,
                challenge, p.get("nonce"), Instant.now().plusSeconds(TXN_LIFETIME_SECONDS));
        state.txns.put(txn.id(), txn);
        State.EhrSession session = session(ex);
        if (session == null) {
            loginPage(ex, txn, null);
        } else {
            consentOrCode(ex, txn, session);
        }
    }

    void login(Exchange ex, String tenant) throws IOException {
        Map<String, String> f = ex.form();
        State.Txn txn = txn(f, tenant);
        if (txn == null) {
            errorPage(ex, "Sign-in expired", "Start again from the application.");
            return;
        }
        ex.clientId = txn.clientId();
        SimulatorConfig.User user = state.users.get(f.getOrDefault("username", ""));
        if (user == null || !MessageDigest.isEqual(user.password().getBytes(StandardCharsets.UTF_8),
                f.getOrDefault("password", "").getBytes(StandardCharsets.UTF_8))) {
            loginPage(ex, txn, "Incorrect username or password.");
            return;
        }
        State.EhrSession session = new State.EhrSession(token(24), user.username());
        state.sessions.put(session.id(), session);
        ex.addHeader("Set-Cookie", SESSION_COOKIE + "=" + session.id() + "; Path=/; HttpOnly; SameSite=Lax");
        consentOrCode(ex, txn, session);
    }

    void consent(Exchange ex, String tenant) throws IOException {
        Map<String, String> f = ex.form();
        State.Txn txn = txn(f, tenant);
        if (txn == null) {
            errorPage(ex, "Authorization expired", "Start again from the application.");
            return;
        }
        ex.clientId = txn.clientId();
        State.EhrSession session = session(ex);
        if (session == null) {
            loginPage(ex, txn, null);
            return;
        }
        if (!"allow".equals(f.get("decision"))) {
            state.txns.remove(txn.id());
            redirectError(ex, txn.redirectUri(), txn.state(), "access_denied", CernerErrors.ACCESS_DENIED, txn.clientId(), tenant);
            return;
        }
        state.consents.add(consentKey(session.username(), txn));
        issueCode(ex, txn, session);
    }

    private State.Txn txn(Map<String, String> form, String tenant) {
        State.Txn txn = form.get("txn") == null ? null : state.txns.get(form.get("txn"));
        return txn == null || !txn.tenant().equals(tenant) || txn.expires().isBefore(Instant.now()) ? null : txn;
    }

    private void consentOrCode(Exchange ex, State.Txn txn, State.EhrSession session) throws IOException {
        if ("once".equals(sim.settings(txn.tenant()).consent) && state.consents.contains(consentKey(session.username(), txn))) {
            issueCode(ex, txn, session);
            return;
        }
        AppRegistration app = state.apps.get(txn.clientId());
        String appName = app == null ? txn.clientId() : app.name();
        StringBuilder scopes = new StringBuilder("<ul id=\"scopes\">");
        for (String scope : txn.scope().split(" ")) {
            scopes.append("<li><code>").append(Html.esc(scope)).append("</code></li>");
        }
        scopes.append("</ul>");
        FhirData.SyntheticPatient patient = txn.launch().patientId() == null ? null : FhirData.patient(txn.launch().patientId());
        SimulatorConfig.User user = state.users.get(session.username());
        ex.html(200, Html.page("Allow " + appName, "<h1>Allow <span id=\"app-name\">" + Html.esc(appName) + "</span>?</h1>"
                + "<p>Signed in as <b id=\"user\">" + Html.esc(user == null ? session.username() : user.displayName()) + "</b>"
                + (patient == null ? "" : ", chart of <b id=\"patient\">" + Html.esc(patient.display()) + "</b>") + ".</p>"
                + "<p>The application asks for:</p>" + scopes
                + "<form id=\"consent\" method=\"post\" action=\"" + Html.esc(authorizePath(txn.tenant())) + "/consent\">"
                + "<input type=\"hidden\" name=\"txn\" value=\"" + Html.esc(txn.id()) + "\">"
                + "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>"
                + "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>"));
    }

    private void loginPage(Exchange ex, State.Txn txn, String error) throws IOException {
        ex.html(error == null ? 200 : 401, Html.page("Sign in", "<h1>Sign in to Cerner Millennium</h1>"
                + (error == null ? "" : "<p class=\"error\" id=\"error\">" + Html.esc(error) + "</p>")
                + "<p class=\"muted\">Sandbox clinicians (as Code Console shows them, §6): " + Html.esc(String.join(", ",
                        state.users.values().stream().map(u -> u.username() + " / " + u.password()).toList())) + "</p>"
                + "<form id=\"login\" method=\"post\" action=\"" + Html.esc(authorizePath(txn.tenant())) + "/login\">"
                + "<input type=\"hidden\" name=\"txn\" value=\"" + Html.esc(txn.id()) + "\">"
                + "<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\">"
                + "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\">"
                + "<div><button type=\"submit\" id=\"sign-in\">Sign in</button></div></form>"));
    }

    private void issueCode(Exchange ex, State.Txn txn, State.EhrSession session) throws IOException {
        state.txns.remove(txn.id());
        // A launch is single-use: the first authorization that completes consumes it.
        if (state.launches.remove(txn.launch().id()) == null) {
            redirectError(ex, txn.redirectUri(), txn.state(), "invalid_request", CernerErrors.INVALID_LAUNCH, txn.clientId(), txn.tenant());
            return;
        }
        TenantSettings settings = sim.settings(txn.tenant());
        String code = UUID.randomUUID().toString();
        state.codes.put(code, new State.Code(code, txn.tenant(), txn.clientId(), txn.redirectOmitted() ? null : txn.redirectUri(),
                txn.challenge(), txn.scope(), txn.launch().patientId(), txn.launch().encounterId(), session.username(), session.id(),
                txn.nonce(), Instant.now().plusSeconds(settings.codeLifetimeSeconds)));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("code", code);
        if (txn.state() != null) {
            params.put("state", txn.state());
        }
        ex.redirect(302, withQuery(txn.redirectUri(), params));
    }

    /** Redirects an error to the (verified) redirect URI: state, error and Cerner's error_uri (§2.3). */
    private void redirectError(Exchange ex, String redirect, String st, String error, String urn, String client, String tenant)
            throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        if (st != null) {
            params.put("state", st);
        }
        params.put("error", error);
        params.put("error_uri", CernerErrors.uri(sim.baseUrl(), urn, client, tenant, true));
        ex.redirect(302, withQuery(redirect, params));
    }

    private static void errorPage(Exchange ex, String title, String message) throws IOException {
        ex.html(400, Html.page(title, "<h1>" + Html.esc(title) + "</h1><p class=\"error\" id=\"error\">" + Html.esc(message) + "</p>"));
    }

    private State.EhrSession session(Exchange ex) {
        String id = ex.cookie(SESSION_COOKIE);
        return id == null ? null : state.sessions.get(id);
    }

    private static String consentKey(String username, State.Txn txn) {
        return username + "|" + txn.tenant() + "|" + txn.clientId();
    }

    // ================================================================ token

    void token(Exchange ex, String tenant, boolean legacyPath) throws IOException {
        TenantSettings settings = sim.settings(tenant);
        if (legacyPath && !settings.acceptLegacyTokenPath) {
            // Discovery names the hosts/ form (§1.2); the older path answers only when the tenant switch allows it.
            ex.json(404, Map.of("error", "not_found"));
            return;
        }
        Map<String, String> form = ex.form();
        String grant = form.get("grant_type");
        ex.grantType = grant;
        ex.clientId = claimedClientId(ex, form);
        Fault fault = sim.fault(ex, tenant, "authorization_code".equals(grant) ? CODE_FAULTS : TOKEN_FAULTS);
        if (fault != null) {
            switch (fault.type()) {
                case INVALID_GRANT -> {
                    tokenError(ex, 400, "invalid_grant", "refresh_token".equals(grant) ? CernerErrors.INVALID_REFRESH_TOKEN
                            : CernerErrors.CODE_INVALID, ex.clientId, tenant);
                    return;
                }
                case INVALID_CLIENT -> {
                    tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, ex.clientId, tenant);
                    return;
                }
                case UNKNOWN_KID, EXPIRED_CODE -> {
                    // applied in the code exchange below
                }
                default -> {
                    sim.answerGeneric(ex, fault);
                    return;
                }
            }
        }
        // The assertion's aud must be the exact URL that was called (§3.2): the hosts/ form, or the legacy one.
        AppRegistration client = authenticate(ex, form, tenant, Set.of(ex.origin() + ex.path()));
        if (client == null) {
            return;
        }
        ex.clientId = client.clientId();
        if (grant == null) {
            tokenError(ex, 400, "invalid_request", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
            return;
        }
        boolean unknownKid = fault != null && fault.type() == FaultType.UNKNOWN_KID;
        boolean expiredCode = fault != null && fault.type() == FaultType.EXPIRED_CODE;
        switch (grant) {
            case "authorization_code" -> authorizationCode(ex, form, tenant, client, unknownKid, expiredCode);
            case "refresh_token" -> refresh(ex, form, tenant, client);
            case "client_credentials" -> clientCredentials(ex, form, tenant, client);
            default -> tokenError(ex, 400, "unsupported_grant_type", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
        }
    }

    /** The client id the request claims, before authentication: for the log and for error_uri. */
    private static String claimedClientId(Exchange ex, Map<String, String> form) {
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
     * Client authentication: client_secret_basic, private_key_jwt, or a public client's client_id. Every failure
     * answers 401 invalid_client (HL7 §4) and returns null.
     *
     * @param audiences the values an assertion's aud may hold
     */
    private AppRegistration authenticate(Exchange ex, Map<String, String> form, String tenant, Set<String> audiences) throws IOException {
        String header = ex.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            // An assertion sent as a bearer token fails this way at Cerner, with client=unknown (§3.2).
            tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
            return null;
        }
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] basic = basic(header);
            if (basic == null) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
                return null;
            }
            AppRegistration app = state.apps.get(basic[0]);
            boolean idMatches = form.get("client_id") == null || form.get("client_id").equals(basic[0]);
            if (app == null || app.clientSecret() == null || !idMatches || form.get("client_assertion") != null
                    || !MessageDigest.isEqual(app.clientSecret().getBytes(StandardCharsets.UTF_8), basic[1].getBytes(StandardCharsets.UTF_8))) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, basic[0], tenant);
                return null;
            }
            return app;
        }
        String assertion = form.get("client_assertion");
        if (assertion != null || form.get("client_assertion_type") != null) {
            if (assertion == null || !JWT_BEARER.equals(form.get("client_assertion_type"))) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_ASSERTION, form.get("client_id"), tenant);
                return null;
            }
            return verifyAssertion(ex, assertion, form.get("client_id"), tenant, audiences);
        }
        AppRegistration app = form.get("client_id") == null ? null : state.apps.get(form.get("client_id"));
        if (app == null || !app.publicClient()) {
            tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, form.get("client_id"), tenant);
            return null;
        }
        return app;
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
            tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_ASSERTION, clientIdParam, tenant);
            return null;
        }
        String iss = claims.getIssuer();
        AppRegistration app = iss == null ? null : state.apps.get(iss);
        String alg = jwt.getHeader().getAlgorithm().getName();
        String kid = jwt.getHeader().getKeyID();
        Instant now = Instant.now();
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
            tokenError(ex, 401, "invalid_client", problem, iss == null ? clientIdParam : iss, tenant);
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

    private void authorizationCode(Exchange ex, Map<String, String> form, String tenant, AppRegistration client,
                                   boolean unknownKid, boolean expiredCode) throws IOException {
        String value = form.get("code");
        // Removed on first use: a code is single-use, whatever the outcome (§5).
        State.Code code = value == null ? null : state.codes.remove(value);
        if (code == null || expiredCode || code.expires().isBefore(Instant.now())) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (!code.tenant().equals(tenant)) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_TENANT, client.clientId(), tenant);
            return;
        }
        String redirect = form.get("redirect_uri");
        if (!code.clientId().equals(client.clientId())
                || (code.redirectUriParam() == null ? redirect != null : !code.redirectUriParam().equals(redirect))) {
            // redirect_uri must be identical to the authorize request's, and absent if it was absent (§2.2).
            tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (code.challenge() != null) {
            String verifier = form.get("code_verifier");
            if (verifier == null || !MessageDigest.isEqual(code.challenge().getBytes(StandardCharsets.US_ASCII),
                    s256(verifier).getBytes(StandardCharsets.US_ASCII))) {
                tokenError(ex, 400, "invalid_grant", CernerErrors.PKCE_MISMATCH, client.clientId(), tenant);
                return;
            }
        }
        TenantSettings settings = sim.settings(tenant);
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(code.scope().split(" ")));
        SimulatorConfig.User user = state.users.get(code.username());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", accessToken(tenant, client.clientId(), scopes, code.patientId(), code.encounterId(), code.username()));
        body.put("scope", code.scope());
        body.put("token_type", "Bearer");
        body.put("expires_in", settings.accessTokenLifetimeSeconds);
        if (code.patientId() != null) {
            body.put("patient", code.patientId());
        }
        if (code.encounterId() != null) {
            body.put("encounter", code.encounterId());
        }
        body.put("need_patient_banner", true);
        body.put("smart_style_url", sim.baseUrl() + "/styles/smart-v1.json");
        // user is the bare Practitioner id, username the login principal; tenant is always present (§2.5).
        body.put("user", user.practitionerId());
        body.put("username", user.username());
        body.put("tenant", tenant);
        if (scopes.contains("openid")) {
            body.put("id_token", idToken(tenant, client.clientId(), user, settings.echoNonce ? code.nonce() : null, unknownKid));
        }
        boolean online = scopes.contains("online_access");
        if (online || scopes.contains("offline_access")) {
            String refresh = refreshToken(online);
            state.refreshTokens.put(refresh, new State.RefreshToken(refresh, tenant, client.clientId(), code.scope(), code.patientId(),
                    code.encounterId(), code.username(), code.sessionId(), online));
            sim.issued(new IssuedToken(tenant, client.clientId(), "refresh", refresh, Instant.now()));
            body.put("refresh_token", refresh);
            if (online) {
                body.put("active_ttl", ACTIVE_TTL_SECONDS);
            }
        }
        tokenSuccess(ex, body);
    }

    private void refresh(Exchange ex, Map<String, String> form, String tenant, AppRegistration client) throws IOException {
        State.RefreshToken rt = form.get("refresh_token") == null ? null : state.refreshTokens.get(form.get("refresh_token"));
        if (rt == null || rt.revoked || !rt.clientId.equals(client.clientId())) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
            return;
        }
        if (!rt.tenant.equals(tenant)) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_TENANT, client.clientId(), tenant);
            return;
        }
        if (rt.online && !state.sessions.containsKey(rt.sessionId)) {
            // online_access works only while the clinician's EHR session lives (§2.8); offline_access lasts.
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        Instant now = Instant.now();
        synchronized (rt) {
            if (settings.refreshThrottleSeconds > 0 && rt.lastRefresh != null
                    && rt.lastRefresh.plusSeconds(settings.refreshThrottleSeconds).isAfter(now)) {
                // Cerner documents throttling of refreshes more often than once a minute (§2.8), not its answer:
                // UNCONFIRMED. A 429 with Retry-After tells a client to wait rather than to relaunch.
                long wait = Math.max(1, rt.lastRefresh.plusSeconds(settings.refreshThrottleSeconds).getEpochSecond() - now.getEpochSecond());
                ex.addHeader("Retry-After", String.valueOf(wait));
                tokenError(ex, 429, "temporarily_unavailable", CernerErrors.REFRESH_THROTTLED, client.clientId(), tenant);
                return;
            }
            rt.lastRefresh = now;
        }
        rt.refreshes.incrementAndGet();
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(rt.scope.split(" ")));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", accessToken(tenant, client.clientId(), scopes, rt.patientId, rt.encounterId, rt.username));
        body.put("scope", rt.scope);
        body.put("token_type", "Bearer");
        body.put("expires_in", settings.accessTokenLifetimeSeconds);
        // No new refresh_token: the client keeps the original (§2.8, §7).
        tokenSuccess(ex, body);
    }

    private void clientCredentials(Exchange ex, Map<String, String> form, String tenant, AppRegistration client) throws IOException {
        if (!client.isSystem()) {
            tokenError(ex, 400, "unauthorized_client", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
            return;
        }
        String requested = form.getOrDefault("scope", "");
        List<String> requestedList = Arrays.asList(requested.trim().split("\\s+"));
        if (requestedList.contains("online_access") || requestedList.contains("offline_access")) {
            // MUST NOT be used with client_credentials (Cerner authorization spec, §2.10).
            tokenError(ex, 400, "invalid_scope", CernerErrors.INVALID_SCOPE, client.clientId(), tenant);
            return;
        }
        Set<String> granted = grant(requested, client.scopes(), true);
        if (granted.isEmpty()) {
            tokenError(ex, 400, "unauthorized_client", CernerErrors.TOKEN_EMPTY_SCOPES, client.clientId(), tenant);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", accessToken(tenant, client.clientId(), granted, null, null, null));
        body.put("scope", String.join(" ", granted));
        body.put("token_type", "Bearer");
        body.put("expires_in", sim.settings(tenant).accessTokenLifetimeSeconds);
        tokenSuccess(ex, body);
    }

    /** RFC 7009 revocation: client authentication as at the token endpoint; 200 whether the token was known or not. */
    void revoke(Exchange ex, String tenant) throws IOException {
        Map<String, String> form = ex.form();
        ex.clientId = claimedClientId(ex, form);
        Fault fault = sim.fault(ex, tenant, REVOKE_FAULTS);
        if (fault != null) {
            if (fault.type() == FaultType.INVALID_CLIENT) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, ex.clientId, tenant);
            } else {
                sim.answerGeneric(ex, fault);
            }
            return;
        }
        // An assertion may name the revocation URL it was sent to, or the token endpoint (RFC 7523 §3 leaves it to the server).
        AppRegistration client = authenticate(ex, form, tenant, Set.of(ex.origin() + ex.path(), sim.tokenEndpoint(tenant)));
        if (client == null) {
            return;
        }
        ex.clientId = client.clientId();
        String token = form.get("token");
        if (token != null) {
            State.RefreshToken rt = state.refreshTokens.get(token);
            if (rt != null && rt.clientId.equals(client.clientId()) && rt.tenant.equals(tenant)) {
                rt.revoked = true;
            }
            State.AccessToken at = state.accessTokens.get(token);
            if (at != null && at.clientId().equals(client.clientId()) && at.tenant().equals(tenant)) {
                state.accessTokens.remove(token);
            }
        }
        tokenHeaders(ex);
        ex.empty(200);
    }

    // ================================================================ helpers

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

    private String accessToken(String tenant, String clientId, Set<String> scopes, String patient, String encounter, String username) {
        String value = opaqueJwe();
        Instant now = Instant.now();
        state.accessTokens.put(value, new State.AccessToken(value, tenant, clientId, Set.copyOf(scopes), patient, encounter, username,
                now.plusSeconds(sim.settings(tenant).accessTokenLifetimeSeconds)));
        sim.issued(new IssuedToken(tenant, clientId, "access", value, now));
        return value;
    }

    /** Cerner's id_token (§2.7): RS256, absolute fhirUser and profile, the oidc/idsps issuer, 600 s. */
    private String idToken(String tenant, String clientId, SimulatorConfig.User user, String nonce, boolean unknownKid) {
        Instant now = Instant.now();
        String fhirUser = sim.fhirBase(tenant) + "/Practitioner/" + user.practitionerId();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(user.username())
                .audience(clientId)
                .claim("profile", fhirUser)
                .claim("fhirUser", fhirUser)
                .issuer(sim.oidcIssuer(tenant))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .issueTime(Date.from(now));
        if (sim.settings(tenant).idTokenName) {
            claims.claim("name", user.displayName()).claim("email", user.email());
        }
        if (nonce != null) {
            claims.claim("nonce", nonce);
        }
        return sim.signingKeys().sign(claims.build(), unknownKid);
    }

    /**
     * Looks like Cerner's JWE access tokens since 2025 (§2.6: five parts, a dir/A128CBC-HS256 header with an
     * {@code .oct} kid) and carries nothing a client could parse: the other parts are random.
     */
    String opaqueJwe() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString(("{\"zip\":\"DEF\",\"kid\":\"" + SigningKeys.kid(Instant.now()) + ".oct\","
                + "\"cty\":\"JWT\",\"enc\":\"A128CBC-HS256\",\"alg\":\"dir\"}").getBytes(StandardCharsets.UTF_8));
        byte[] bytes = random(16 + 176 + 16);
        return header + ".." + b64.encodeToString(Arrays.copyOfRange(bytes, 0, 16)) + "."
                + b64.encodeToString(Arrays.copyOfRange(bytes, 16, 192)) + "." + b64.encodeToString(Arrays.copyOfRange(bytes, 192, 208));
    }

    /** Base64 (with padding) of Cerner's refresh-token JSON (§2.8); it holds a secret, so clients treat it as opaque. */
    static String refreshToken(boolean online) {
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

    private byte[] random(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private String token(int bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random(bytes));
    }

    private void tokenSuccess(Exchange ex, Map<String, Object> body) throws IOException {
        tokenHeaders(ex);
        ex.json(200, body);
    }

    /** Cerner's token error: error and error_uri, no error_description (§2.3, §7). */
    private void tokenError(Exchange ex, int status, String error, String urn, String client, String tenant) throws IOException {
        tokenHeaders(ex);
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_uri", CernerErrors.uri(sim.baseUrl(), urn, client, tenant, false));
        ex.json(status, body);
    }

    /** The headers of Cerner's token responses (§2.5). */
    private static void tokenHeaders(Exchange ex) {
        ex.addHeader("Cache-Control", "no-store");
        ex.addHeader("Pragma", "no-cache");
        ex.addHeader("Cerner-Correlation-ID", UUID.randomUUID().toString());
        ex.addHeader("Server", "cloud_authorization_server1");
        ex.addHeader("Access-Control-Allow-Origin", "*");
        ex.addHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept, Cerner-Correlation-Id");
    }

    static String authorizePath(String tenant) {
        return "/tenants/" + tenant + "/" + CernerSimulator.AUTHORIZE_PATH;
    }

    /** Appends query parameters, with & when the URI already has a query. */
    static String withQuery(String uri, Map<String, String> params) {
        StringBuilder out = new StringBuilder(uri);
        char sep = uri.contains("?") ? '&' : '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            out.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return out.toString();
    }
}
