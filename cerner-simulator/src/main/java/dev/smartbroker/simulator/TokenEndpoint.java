package dev.smartbroker.simulator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token endpoint's grants (authorization_code, refresh_token, client_credentials) and revocation (§2.4-§2.8, §3).
 * A generic tenant answers the standard SMART fields only and rotates refresh tokens (docs/ehr/smart-app-launch.md,
 * app-launch); it has no revocation endpoint.
 */
final class TokenEndpoint {

    /** Cerner's Active User Presence (§2.5): seconds until the online session counts as inactive. */
    private static final int ACTIVE_TTL_SECONDS = 3600;
    private static final Set<FaultType> TOKEN_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_GRANT, FaultType.INVALID_CLIENT);
    private static final Set<FaultType> CODE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_GRANT, FaultType.INVALID_CLIENT, FaultType.UNKNOWN_KID, FaultType.EXPIRED_CODE);
    private static final Set<FaultType> REVOKE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.INVALID_CLIENT);

    private final CernerSimulator sim;
    private final State state;
    private final OAuthReplies replies;
    private final ClientAuthentication clients;
    private final TokenIssuer issuer;

    TokenEndpoint(CernerSimulator sim, State state, OAuthReplies replies, ClientAuthentication clients, TokenIssuer issuer) {
        this.sim = sim;
        this.state = state;
        this.replies = replies;
        this.clients = clients;
        this.issuer = issuer;
    }

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
        ex.clientId = ClientAuthentication.claimedClientId(ex, form);
        Fault fault = sim.injector().fault(ex, tenant, "authorization_code".equals(grant) ? CODE_FAULTS : TOKEN_FAULTS);
        if (fault != null) {
            switch (fault.type()) {
                case INVALID_GRANT -> {
                    replies.tokenError(ex, 400, "invalid_grant", "refresh_token".equals(grant) ? CernerErrors.INVALID_REFRESH_TOKEN
                            : CernerErrors.CODE_INVALID, ex.clientId, tenant);
                    return;
                }
                case INVALID_CLIENT -> {
                    replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, ex.clientId, tenant);
                    return;
                }
                case UNKNOWN_KID, EXPIRED_CODE -> {
                    // applied in the code exchange below
                }
                default -> {
                    FaultInjector.answerGeneric(ex, fault);
                    return;
                }
            }
        }
        // The assertion's aud must be the exact URL that was called (§3.2): the hosts/ form, or the legacy one.
        AppRegistration client = clients.authenticate(ex, form, tenant, Set.of(ex.origin() + ex.path()));
        if (client == null) {
            return;
        }
        ex.clientId = client.clientId();
        if (grant == null) {
            replies.tokenError(ex, 400, "invalid_request", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
            return;
        }
        boolean unknownKid = fault != null && fault.type() == FaultType.UNKNOWN_KID;
        boolean expiredCode = fault != null && fault.type() == FaultType.EXPIRED_CODE;
        switch (grant) {
            case "authorization_code" -> authorizationCode(ex, form, tenant, client, unknownKid, expiredCode);
            case "refresh_token" -> refresh(ex, form, tenant, client);
            case "client_credentials" -> clientCredentials(ex, form, tenant, client);
            default -> replies.tokenError(ex, 400, "unsupported_grant_type", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
        }
    }

    private void authorizationCode(Exchange ex, Map<String, String> form, String tenant, AppRegistration client,
                                   boolean unknownKid, boolean expiredCode) throws IOException {
        String value = form.get("code");
        // Removed on first use: a code is single-use, whatever the outcome (§5).
        State.Code code = value == null ? null : state.codes.remove(value);
        if (code == null || expiredCode || code.expires().isBefore(sim.now())) {
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (!code.tenant().equals(tenant)) {
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_TENANT, client.clientId(), tenant);
            return;
        }
        String redirect = form.get("redirect_uri");
        if (!code.clientId().equals(client.clientId())
                || (code.redirectUriParam() == null ? redirect != null : !code.redirectUriParam().equals(redirect))) {
            // redirect_uri must be identical to the authorize request's, and absent if it was absent (§2.2).
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.CODE_INVALID, client.clientId(), tenant);
            return;
        }
        if (code.challenge() != null) {
            String verifier = form.get("code_verifier");
            if (verifier == null || !MessageDigest.isEqual(code.challenge().getBytes(StandardCharsets.US_ASCII),
                    TokenIssuer.s256(verifier).getBytes(StandardCharsets.US_ASCII))) {
                replies.tokenError(ex, 400, "invalid_grant", CernerErrors.PKCE_MISMATCH, client.clientId(), tenant);
                return;
            }
        }
        TenantSettings settings = sim.settings(tenant);
        boolean generic = sim.urls().generic(tenant);
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(code.scope().split(" ")));
        SimulatorConfig.User user = state.users.get(code.username());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", issuer.accessToken(tenant, client.clientId(), scopes, code.patientId(), code.encounterId(), code.username()));
        if (generic) {
            body.put("token_type", "Bearer");
            body.put("expires_in", settings.accessTokenLifetimeSeconds);
            body.put("scope", code.scope());
        } else {
            body.put("scope", code.scope());
            body.put("token_type", "Bearer");
            body.put("expires_in", settings.accessTokenLifetimeSeconds);
        }
        if (code.patientId() != null) {
            body.put("patient", code.patientId());
        }
        if (code.encounterId() != null) {
            body.put("encounter", code.encounterId());
        }
        body.put("need_patient_banner", true);
        body.put("smart_style_url", sim.urls().styleUrl());
        if (!generic) {
            // user is the bare Practitioner id, username the login principal; tenant is always present (§2.5).
            body.put("user", user.practitionerId());
            body.put("username", user.username());
            body.put("tenant", tenant);
        }
        if (scopes.contains("openid")) {
            body.put("id_token", issuer.idToken(tenant, client.clientId(), user, settings.echoNonce ? code.nonce() : null, unknownKid));
        }
        boolean online = scopes.contains("online_access");
        if (online || scopes.contains("offline_access")) {
            body.put("refresh_token", issuer.refreshToken(tenant, client.clientId(), code.scope(), code.patientId(), code.encounterId(),
                    code.username(), code.sessionId(), online).value);
            if (online && !generic) {
                body.put("active_ttl", ACTIVE_TTL_SECONDS);
            }
        }
        replies.tokenSuccess(ex, tenant, body);
    }

    private void refresh(Exchange ex, Map<String, String> form, String tenant, AppRegistration client) throws IOException {
        State.RefreshToken rt = form.get("refresh_token") == null ? null : state.refreshTokens.get(form.get("refresh_token"));
        if (rt == null || rt.revoked || !rt.clientId.equals(client.clientId())) {
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
            return;
        }
        if (!rt.tenant.equals(tenant)) {
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_TENANT, client.clientId(), tenant);
            return;
        }
        if (rt.online && !state.sessions.containsKey(rt.sessionId)) {
            // online_access works only while the clinician's EHR session lives (§2.8); offline_access lasts.
            replies.tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        boolean rotate = sim.urls().generic(tenant);
        Instant now = sim.now();
        synchronized (rt) {
            if (rt.used) {
                // Rotation: a generic tenant's refresh token is spent once exchanged (docs/ehr/smart-app-launch.md, app-launch).
                replies.tokenError(ex, 400, "invalid_grant", CernerErrors.INVALID_REFRESH_TOKEN, client.clientId(), tenant);
                return;
            }
            if (settings.refreshThrottleSeconds > 0 && rt.lastRefresh != null
                    && rt.lastRefresh.plusSeconds(settings.refreshThrottleSeconds).isAfter(now)) {
                // Cerner documents throttling of refreshes more often than once a minute (§2.8), not its answer:
                // UNCONFIRMED. A 429 with Retry-After tells a client to wait rather than to relaunch.
                long wait = Math.max(1, rt.lastRefresh.plusSeconds(settings.refreshThrottleSeconds).getEpochSecond() - now.getEpochSecond());
                ex.addHeader("Retry-After", String.valueOf(wait));
                replies.tokenError(ex, 429, "temporarily_unavailable", CernerErrors.REFRESH_THROTTLED, client.clientId(), tenant);
                return;
            }
            rt.lastRefresh = now;
            rt.used = rotate;
        }
        rt.refreshes.incrementAndGet();
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(rt.scope.split(" ")));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", issuer.accessToken(tenant, client.clientId(), scopes, rt.patientId, rt.encounterId, rt.username));
        body.put("scope", rt.scope);
        body.put("token_type", "Bearer");
        body.put("expires_in", settings.accessTokenLifetimeSeconds);
        if (rotate) {
            State.RefreshToken next = issuer.refreshToken(tenant, client.clientId(), rt.scope, rt.patientId, rt.encounterId, rt.username,
                    rt.sessionId, rt.online);
            synchronized (next) {
                // The throttle window runs on along the chain of rotated tokens.
                next.lastRefresh = now;
            }
            body.put("refresh_token", next.value);
        }
        // Cerner: no new refresh_token, the client keeps the original (§2.8, §7).
        replies.tokenSuccess(ex, tenant, body);
    }

    private void clientCredentials(Exchange ex, Map<String, String> form, String tenant, AppRegistration client) throws IOException {
        if (!client.isSystem()) {
            replies.tokenError(ex, 400, "unauthorized_client", CernerErrors.UNSUPPORTED_GRANT, client.clientId(), tenant);
            return;
        }
        String requested = form.getOrDefault("scope", "");
        List<String> requestedList = Arrays.asList(requested.trim().split("\\s+"));
        if (requestedList.contains("online_access") || requestedList.contains("offline_access")) {
            // MUST NOT be used with client_credentials (Cerner authorization spec, §2.10).
            replies.tokenError(ex, 400, "invalid_scope", CernerErrors.INVALID_SCOPE, client.clientId(), tenant);
            return;
        }
        Set<String> granted = TokenIssuer.grant(requested, client.scopes(), true);
        if (granted.isEmpty()) {
            replies.tokenError(ex, 400, "unauthorized_client", CernerErrors.TOKEN_EMPTY_SCOPES, client.clientId(), tenant);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", issuer.accessToken(tenant, client.clientId(), granted, null, null, null));
        body.put("scope", String.join(" ", granted));
        body.put("token_type", "Bearer");
        body.put("expires_in", sim.settings(tenant).accessTokenLifetimeSeconds);
        replies.tokenSuccess(ex, tenant, body);
    }

    /** RFC 7009 revocation: client authentication as at the token endpoint; 200 whether the token was known or not. */
    void revoke(Exchange ex, String tenant) throws IOException {
        Map<String, String> form = ex.form();
        ex.clientId = ClientAuthentication.claimedClientId(ex, form);
        Fault fault = sim.injector().fault(ex, tenant, REVOKE_FAULTS);
        if (fault != null) {
            if (fault.type() == FaultType.INVALID_CLIENT) {
                replies.tokenError(ex, 401, "invalid_client", CernerErrors.INVALID_CLIENT_CREDENTIALS, ex.clientId, tenant);
            } else {
                FaultInjector.answerGeneric(ex, fault);
            }
            return;
        }
        // An assertion may name the revocation URL it was sent to, or the token endpoint (RFC 7523 §3 leaves it to the server).
        AppRegistration client = clients.authenticate(ex, form, tenant, Set.of(ex.origin() + ex.path(), sim.tokenEndpoint(tenant)));
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
        replies.tokenHeaders(ex, tenant);
        ex.empty(200);
    }
}
