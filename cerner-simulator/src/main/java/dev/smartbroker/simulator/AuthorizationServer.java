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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

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
 * The tenant's authorization server: authorize (provider persona, with login and consent pages), token
 * (authorization_code, refresh_token, client_credentials), revocation. Shapes per cerner-smart-facts §2-§3.
 */
final class AuthorizationServer {

    static final String SESSION_COOKIE = "CERNER_SIM_SESSION";
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<String> ASSERTION_ALGORITHMS = Set.of("RS384", "ES384");

    private final CernerSimulator sim;
    private final State state;

    AuthorizationServer(CernerSimulator sim, State state) {
        this.sim = sim;
        this.state = state;
    }

    // ================================================================ authorize

    void authorize(Exchange ex, String tenant) throws IOException {
        Map<String, String> p = ex.params();
        AppRegistration app = p.get("client_id") == null ? null : state.apps.get(p.get("client_id"));
        ex.clientId = p.get("client_id");
        if (app == null || app.isSystem()) {
            // Never redirect to an unverified client (RFC 6749 §4.1.2.1).
            ex.html(400, Html.page("Unknown application", "<h1>Unknown application</h1><p class=\"error\">The client_id is not a"
                    + " registered provider application of this tenant.</p>"));
            return;
        }
        String redirect = p.get("redirect_uri");
        boolean omitted = redirect == null || redirect.isEmpty();
        if (omitted) {
            if (app.redirectUris().size() != 1) {
                ex.html(400, Html.page("Redirect URI required", "<h1>Redirect URI required</h1><p class=\"error\">This application has"
                        + " several redirect URIs: the request must name one.</p>"));
                return;
            }
            redirect = app.redirectUris().get(0);
        } else if (!app.redirectUris().contains(redirect)) {
            // Strict match, trailing slash included (cerner-smart-facts §5).
            ex.html(400, Html.page("Redirect URI mismatch", "<h1>Redirect URI mismatch</h1><p class=\"error\">"
                    + Html.esc(redirect) + " is not registered for this application.</p>"));
            return;
        }
        String st = p.get("state");
        Optional<Fault> fault = sim.faults().take(tenant, Endpoint.AUTHORIZE, null);
        if (fault.isPresent() && fault.get().type() == FaultType.ACCESS_DENIED) {
            redirectError(ex, redirect, st, "access_denied", CernerErrors.ACCESS_DENIED, app.clientId(), tenant);
            return;
        }
        if (fault.isPresent() && sim.genericFault(ex, fault.get())) {
            return;
        }
        if (!"code".equals(p.get("response_type"))) {
            redirectError(ex, redirect, st, "unsupported_response_type", CernerErrors.UNSUPPORTED_RESPONSE_TYPE, app.clientId(), tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        String aud = p.get("aud");
        String fhirBase = sim.fhirBase(tenant);
        boolean audOk = aud != null && (aud.equals(fhirBase) || (settings.lenientAudTrailingSlash && aud.replaceAll("/+$", "").equals(fhirBase)));
        if (!audOk) {
            // Requests without aud are rejected (cerner-smart-facts §2.2).
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_AUDIENCE, app.clientId(), tenant);
            return;
        }
        String launchId = p.get("launch");
        if (launchId == null || launchId.isBlank()) {
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.LAUNCH_REQUIRED, app.clientId(), tenant);
            return;
        }
        State.Launch launch = state.launches.get(launchId);
        if (launch == null || launch.expires().isBefore(Instant.now()) || !launch.tenant().equals(tenant)
                || !launch.clientId().equals(app.clientId())) {
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_LAUNCH, app.clientId(), tenant);
            return;
        }
        String challenge = p.get("code_challenge");
        if (challenge != null) {
            if (!"S256".equals(p.get("code_challenge_method")) || challenge.length() < 43 || challenge.length() > 128) {
                redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, app.clientId(), tenant);
                return;
            }
        } else if (settings.requirePkce) {
            redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, app.clientId(), tenant);
            return;
        }
        Set<String> granted = grant(p.get("scope"), app.scopes(), false);
        if (granted.isEmpty()) {
            redirectError(ex, redirect, st, "unauthorized_client", CernerErrors.GRANT_EMPTY_SCOPES, app.clientId(), tenant);
            return;
        }
        if (launch.patientId() == null && granted.stream().anyMatch(s -> s.startsWith("patient/"))) {
            redirectError(ex, redirect, st, "access_denied", CernerErrors.MISSING_PATIENT, app.clientId(), tenant);
            return;
        }
        State.Txn txn = new State.Txn(UUID.randomUUID().toString(), tenant, app.clientId(), redirect, omitted, st,
                String.join(" ", granted), launch, challenge, p.get("nonce"));
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
        State.Txn txn = f.get("txn") == null ? null : state.txns.get(f.get("txn"));
        if (txn == null || !txn.tenant().equals(tenant)) {
            ex.html(400, Html.page("Sign-in expired", "<h1>Sign-in expired</h1><p class=\"error\">Start again from the application.</p>"));
            return;
        }
        ex.clientId = txn.clientId();
        SimulatorConfig.User user = state.users.get(f.getOrDefault("username", ""));
        if (user == null || !user.password().equals(f.get("password"))) {
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
        State.Txn txn = f.get("txn") == null ? null : state.txns.get(f.get("txn"));
        State.EhrSession session = session(ex);
        if (txn == null || !txn.tenant().equals(tenant)) {
            ex.html(400, Html.page("Authorization expired", "<h1>Authorization expired</h1><p class=\"error\">Start again from the application.</p>"));
            return;
        }
        ex.clientId = txn.clientId();
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

    private void consentOrCode(Exchange ex, State.Txn txn, State.EhrSession session) throws IOException {
        if ("once".equals(sim.settings(txn.tenant()).consent) && state.consents.contains(consentKey(session.username(), txn))) {
            issueCode(ex, txn, session);
            return;
        }
        AppRegistration app = state.apps.get(txn.clientId());
        StringBuilder scopes = new StringBuilder("<ul>");
        for (String scope : txn.scope().split(" ")) {
            scopes.append("<li><code>").append(Html.esc(scope)).append("</code></li>");
        }
        scopes.append("</ul>");
        FhirData.SyntheticPatient patient = FhirData.patient(txn.launch().patientId());
        ex.html(200, Html.page("Allow " + app.name(), "<h1>Allow " + Html.esc(app.name()) + "?</h1>"
                + "<p>Signed in as <b>" + Html.esc(state.users.get(session.username()).displayName()) + "</b>"
                + (patient == null ? "" : ", chart of <b>" + Html.esc(patient.display()) + "</b>") + ".</p>"
                + "<p>The application asks for:</p>" + scopes
                + "<form id=\"consent\" method=\"post\" action=\"" + authorizePath(txn.tenant()) + "/consent\">"
                + "<input type=\"hidden\" name=\"txn\" value=\"" + Html.esc(txn.id()) + "\">"
                + "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>"
                + "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>"));
    }

    private void loginPage(Exchange ex, State.Txn txn, String error) throws IOException {
        ex.html(error == null ? 200 : 401, Html.page("Sign in", "<h1>Sign in to Cerner Millennium</h1>"
                + (error == null ? "" : "<p class=\"error\" id=\"error\">" + Html.esc(error) + "</p>")
                + "<p class=\"muted\">Sandbox clinician: portal / portal</p>"
                + "<form id=\"login\" method=\"post\" action=\"" + authorizePath(txn.tenant()) + "/login\">"
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

    private void redirectError(Exchange ex, String redirect, String st, String error, String urn, String client, String tenant) throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        if (st != null) {
            params.put("state", st);
        }
        params.put("error", error);
        params.put("error_uri", CernerErrors.uri(sim.baseUrl(), urn, client, tenant, true));
        ex.redirect(302, withQuery(redirect, params));
    }

    private State.EhrSession session(Exchange ex) {
        String id = ex.cookie(SESSION_COOKIE);
        return id == null ? null : state.sessions.get(id);
    }

    private static String consentKey(String username, State.Txn txn) {
        return username + "|" + txn.clientId() + "|" + txn.scope();
    }

    // ================================================================ token

    void token(Exchange ex, String tenant, boolean legacyPath) throws IOException {
        TenantSettings settings = sim.settings(tenant);
        if (legacyPath && !settings.acceptLegacyTokenPath) {
            ex.json(404, Map.of("error", "not_found"));
            return;
        }
        Map<String, String> form = ex.form();
        String grant = form.get("grant_type");
        ex.grantType = grant;
        Optional<Fault> fault = sim.faults().take(tenant, Endpoint.TOKEN, grant);
        if (fault.isPresent()) {
            switch (fault.get().type()) {
                case INVALID_GRANT -> {
                    tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, form.get("client_id"), tenant);
                    return;
                }
                case INVALID_CLIENT -> {
                    tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, form.get("client_id"), tenant);
                    return;
                }
                default -> {
                    if (sim.genericFault(ex, fault.get())) {
                        return;
                    }
                }
            }
        }
        boolean unknownKid = fault.isPresent() && fault.get().type() == FaultType.UNKNOWN_KID;
        boolean expiredCode = fault.isPresent() && fault.get().type() == FaultType.EXPIRED_CODE;
        String tokenUrl = ex.origin() + ex.path();
        AppRegistration client = authenticate(ex, form, tenant, tokenUrl);
        if (client == null) {
            return;
        }
        ex.clientId = client.clientId();
        if (grant == null) {
            tokenError(ex, 400, "invalid_request", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
            return;
        }
        switch (grant) {
            case "authorization_code" -> authorizationCode(ex, form, tenant, client, unknownKid, expiredCode);
            case "refresh_token" -> refresh(ex, form, tenant, client);
            case "client_credentials" -> clientCredentials(ex, form, tenant, client);
            default -> tokenError(ex, 400, "unsupported_grant_type", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
        }
    }

    /** Client authentication; answers invalid_client itself and returns null on failure. */
    private AppRegistration authenticate(Exchange ex, Map<String, String> form, String tenant, String tokenUrl) throws IOException {
        String header = ex.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            // An assertion sent as a bearer token fails this way at Cerner (cerner-smart-facts §3.2).
            tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
            return null;
        }
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_AUTHORIZATION_HEADER, "unknown", tenant);
                return null;
            }
            int colon = decoded.indexOf(':');
            String id = colon < 0 ? decoded : URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
            String secret = colon < 0 ? "" : URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
            AppRegistration app = state.apps.get(id);
            if (app == null || app.clientSecret() == null || !MessageDigest.isEqual(
                    app.clientSecret().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, id, tenant);
                return null;
            }
            return app;
        }
        String assertion = form.get("client_assertion");
        if (assertion != null) {
            if (!JWT_BEARER.equals(form.get("client_assertion_type"))) {
                tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_ASSERTION, form.get("client_id"), tenant);
                return null;
            }
            return verifyAssertion(ex, assertion, form.get("client_id"), tenant, tokenUrl);
        }
        AppRegistration app = form.get("client_id") == null ? null : state.apps.get(form.get("client_id"));
        if (app == null || !app.publicClient()) {
            tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, form.get("client_id"), tenant);
            return null;
        }
        return app;
    }

    /** SMART asymmetric client authentication (HL7 client-confidential-asymmetric; cerner-smart-facts §3.2, §4). */
    private AppRegistration verifyAssertion(Exchange ex, String assertion, String clientIdParam, String tenant, String tokenUrl) throws IOException {
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
        String problem = null;
        if (app == null || app.jwksUrl() == null) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (!ASSERTION_ALGORITHMS.contains(alg) || kid == null
                || !JOSEObjectType.JWT.equals(jwt.getHeader().getType())) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (jwt.getHeader().getJWKURL() != null && !jwt.getHeader().getJWKURL().toString().equals(app.jwksUrl())) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (!iss.equals(claims.getSubject()) || (clientIdParam != null && !clientIdParam.equals(iss))) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (claims.getAudience() == null || !claims.getAudience().contains(tokenUrl)) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (claims.getExpirationTime() == null || claims.getExpirationTime().toInstant().isBefore(now.minusSeconds(skew))
                || claims.getExpirationTime().toInstant().isAfter(now.plusSeconds(300 + skew))) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (claims.getJWTID() == null || !fresh(iss, claims.getJWTID(), claims.getExpirationTime().toInstant())) {
            problem = CernerErrors.INVALID_ASSERTION;
        } else if (!verify(jwt, alg, sim.clientKeys().key(app.jwksUrl(), kid))) {
            problem = CernerErrors.INVALID_SIGNATURE;
        }
        if (problem != null) {
            tokenError(ex, 401, "invalid_client", problem, iss == null ? clientIdParam : iss, tenant);
            return null;
        }
        return app;
    }

    private boolean fresh(String client, String jti, Instant expires) {
        if (state.jtis.size() > 50_000) {
            Instant now = Instant.now();
            state.jtis.values().removeIf(exp -> exp.isBefore(now.minusSeconds(600)));
        }
        return state.jtis.putIfAbsent(client + "|" + jti, expires) == null;
    }

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
        State.Code code = value == null ? null : state.codes.remove(value);
        if (code == null || expiredCode || code.expires().isBefore(Instant.now())) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (!code.tenant().equals(tenant)) {
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_TENANT, client.clientId(), tenant);
            return;
        }
        if (!code.clientId().equals(client.clientId())
                || (code.redirectUriParam() == null ? form.get("redirect_uri") != null : !code.redirectUriParam().equals(form.get("redirect_uri")))) {
            // redirect_uri must be identical to the authorize request's, and absent if it was absent (§2.2).
            tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (code.challenge() != null) {
            String verifier = form.get("code_verifier");
            if (verifier == null || !code.challenge().equals(s256(verifier))) {
                tokenError(ex, 400, "invalid_grant", CernerErrors.PKCE_MISMATCH, client.clientId(), tenant);
                return;
            }
        }
        TenantSettings settings = sim.settings(tenant);
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(code.scope().split(" ")));
        SimulatorConfig.User user = state.users.get(code.username());
        String accessToken = accessToken(tenant, client.clientId(), scopes, code.patientId(), code.encounterId(), code.username());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", accessToken);
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
                // Cerner's Active User Presence (§2.5): seconds until the online session counts as inactive.
                body.put("active_ttl", 3600);
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
            // online_access ends with the clinician's EHR session (cerner-smart-facts §2.8).
            tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        Instant now = Instant.now();
        synchronized (rt) {
            if (settings.refreshThrottleSeconds > 0 && rt.lastRefresh != null
                    && rt.lastRefresh.plusSeconds(settings.refreshThrottleSeconds).isAfter(now)) {
                tokenError(ex, 400, "invalid_request", CernerErrors.REFRESH_THROTTLED, client.clientId(), tenant);
                return;
            }
            rt.lastRefresh = now;
        }
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(rt.scope.split(" ")));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", accessToken(tenant, client.clientId(), scopes, rt.patientId, rt.encounterId, rt.username));
        body.put("scope", rt.scope);
        body.put("token_type", "Bearer");
        body.put("expires_in", settings.accessTokenLifetimeSeconds);
        // No new refresh_token: keep the original (cerner-smart-facts §2.8).
        tokenSuccess(ex, body);
    }

    private void clientCredentials(Exchange ex, Map<String, String> form, String tenant, AppRegistration client) throws IOException {
        if (!client.isSystem()) {
            tokenError(ex, 400, "unauthorized_client", CernerErrors.TOKEN_EMPTY_SCOPES, client.clientId(), tenant);
            return;
        }
        String requested = form.getOrDefault("scope", "");
        if (requested.contains("online_access") || requested.contains("offline_access")) {
            // MUST NOT be used with client_credentials (Cerner authorization spec).
            tokenError(ex, 400, "invalid_scope", CernerErrors.TOKEN_EMPTY_SCOPES, client.clientId(), tenant);
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

    void revoke(Exchange ex, String tenant) throws IOException {
        Map<String, String> form = ex.form();
        // Client assertions name the token endpoint as their audience, for revocation too (RFC 7523 §3).
        AppRegistration client = authenticate(ex, form, tenant, sim.tokenEndpoint(tenant));
        if (client == null) {
            return;
        }
        ex.clientId = client.clientId();
        String token = form.get("token");
        if (token != null) {
            State.RefreshToken rt = state.refreshTokens.get(token);
            if (rt != null && rt.clientId.equals(client.clientId())) {
                rt.revoked = true;
            }
            State.AccessToken at = state.accessTokens.get(token);
            if (at != null && at.clientId().equals(client.clientId())) {
                state.accessTokens.remove(token);
            }
        }
        // RFC 7009: 200 whether or not the token was known.
        ex.addHeader("Cache-Control", "no-store");
        ex.empty(200);
    }

    // ================================================================ helpers

    /** requested ∩ registered; wildcards dropped silently (cerner-smart-facts §2.2); system/ only for the system persona. */
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
        state.accessTokens.put(value, new State.AccessToken(value, tenant, clientId, Set.copyOf(scopes), patient, encounter, username,
                Instant.now().plusSeconds(sim.settings(tenant).accessTokenLifetimeSeconds)));
        sim.issued(new IssuedToken(tenant, clientId, "access", value, Instant.now()));
        return value;
    }

    private String idToken(String tenant, String clientId, SimulatorConfig.User user, String nonce, boolean unknownKid) {
        Instant now = Instant.now();
        String fhirUser = sim.fhirBase(tenant) + "/Practitioner/" + user.practitionerId();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(user.username())
                .audience(clientId)
                .claim("profile", fhirUser)
                .claim("fhirUser", fhirUser)
                .issuer(sim.oidcIssuer(tenant))
                .claim("name", user.displayName())
                .claim("email", user.email())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)));
        if (nonce != null) {
            claims.claim("nonce", nonce);
        }
        return sim.signingKeys().sign(claims.build(), unknownKid);
    }

    /** Looks like Cerner's JWE access tokens (§2.6) and carries nothing a client could parse. */
    static String opaqueJwe() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString(("{\"zip\":\"DEF\",\"kid\":\"" + Instant.now().toString().replace("Z", "") + ".oct\","
                + "\"cty\":\"JWT\",\"enc\":\"A128CBC-HS256\",\"alg\":\"dir\"}").getBytes(StandardCharsets.UTF_8));
        return header + ".." + b64.encodeToString(random(16)) + "." + b64.encodeToString(random(160)) + "." + b64.encodeToString(random(16));
    }

    /** Base64 (with padding) of Cerner's refresh-token JSON (§2.8); it holds a secret, so it is opaque to clients. */
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

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static String token(int bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random(bytes));
    }

    private void tokenSuccess(Exchange ex, Map<String, Object> body) throws IOException {
        tokenHeaders(ex);
        ex.json(200, body);
    }

    private void tokenError(Exchange ex, int status, String error, String urn, String client, String tenant) throws IOException {
        tokenHeaders(ex);
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_uri", CernerErrors.uri(sim.baseUrl(), urn, client, tenant, false));
        ex.json(status, body);
    }

    private static void tokenHeaders(Exchange ex) {
        ex.addHeader("Cache-Control", "no-store");
        ex.addHeader("Pragma", "no-cache");
        ex.addHeader("Cerner-Correlation-ID", UUID.randomUUID().toString());
        ex.addHeader("Access-Control-Allow-Origin", "*");
        ex.addHeader("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept, Cerner-Correlation-Id");
    }

    String authorizePath(String tenant) {
        return "/tenants/" + tenant + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize";
    }

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
