package dev.smartbroker.simulator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The provider authorize endpoint (GET and authorize-post) with its login and consent pages, up to the code
 * redirect (§2.1-§2.3, §2.9). Generic tenants check the same things in the same order (the EHR launch of
 * docs/ehr/smart-app-launch.md, app-launch) and redirect errors with error_description instead of error_uri.
 */
final class AuthorizeEndpoint {

    static final String SESSION_COOKIE = "CERNER_SIM_SESSION";
    /** RFC 7636 §4.2: 43 to 128 characters of the unreserved set. */
    private static final Pattern CODE_CHALLENGE = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
    /** Seconds a clinician may spend on the login and consent pages. */
    private static final int TXN_LIFETIME_SECONDS = 1800;
    private static final Set<FaultType> AUTHORIZE_FAULTS = EnumSet.of(FaultType.SERVER_ERROR, FaultType.MALFORMED_JSON,
            FaultType.NOT_FOUND, FaultType.ACCESS_DENIED);

    private final CernerSimulator sim;
    private final State state;
    private final OAuthReplies replies;
    private final TokenIssuer issuer;

    AuthorizeEndpoint(CernerSimulator sim, State state, OAuthReplies replies, TokenIssuer issuer) {
        this.sim = sim;
        this.state = state;
        this.replies = replies;
        this.issuer = issuer;
    }

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
        Fault fault = sim.injector().fault(ex, tenant, AUTHORIZE_FAULTS);
        if (fault != null) {
            if (fault.type() == FaultType.ACCESS_DENIED) {
                replies.redirectError(ex, redirect, st, "access_denied", CernerErrors.ACCESS_DENIED, clientId, tenant);
            } else {
                FaultInjector.answerGeneric(ex, fault);
            }
            return;
        }
        if (!"code".equals(p.get("response_type"))) {
            replies.redirectError(ex, redirect, st, "unsupported_response_type", CernerErrors.UNSUPPORTED_RESPONSE_TYPE, clientId, tenant);
            return;
        }
        TenantSettings settings = sim.settings(tenant);
        String aud = p.get("aud");
        String fhirBase = sim.fhirBase(tenant);
        boolean audOk = aud != null && (aud.equals(fhirBase)
                || (settings.lenientAudTrailingSlash && aud.replaceAll("/+$", "").equals(fhirBase)));
        if (!audOk) {
            // "Requests without aud are automatically rejected" (§2.2); the aud must be the iss, exactly.
            replies.redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_AUDIENCE, clientId, tenant);
            return;
        }
        String launchId = p.get("launch");
        if (launchId == null || launchId.isEmpty()) {
            // The provider persona wants an EHR launch (§2.1, §2.9).
            replies.redirectError(ex, redirect, st, "invalid_request", CernerErrors.LAUNCH_REQUIRED, clientId, tenant);
            return;
        }
        State.Launch launch = state.launches.get(launchId);
        if (launch == null || launch.expires().isBefore(sim.now()) || !launch.tenant().equals(tenant)
                || !clientId.equals(launch.clientId())) {
            replies.redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_LAUNCH, clientId, tenant);
            return;
        }
        String challenge = p.get("code_challenge");
        if (challenge != null) {
            // S256 only; plain (also the RFC 7636 default when the method is absent) is refused (HL7, §4 rule 3).
            if (!"S256".equals(p.get("code_challenge_method")) || !CODE_CHALLENGE.matcher(challenge).matches()) {
                replies.redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, clientId, tenant);
                return;
            }
        } else if (settings.requirePkce) {
            replies.redirectError(ex, redirect, st, "invalid_request", CernerErrors.INVALID_CODE_CHALLENGE, clientId, tenant);
            return;
        }
        Set<String> granted = TokenIssuer.grant(p.get("scope"), app.scopes(), false);
        if (granted.isEmpty()) {
            replies.redirectError(ex, redirect, st, "unauthorized_client", CernerErrors.GRANT_EMPTY_SCOPES, clientId, tenant);
            return;
        }
        if (launch.patientId() == null && granted.stream().anyMatch(s -> s.startsWith("patient/"))) {
            replies.redirectError(ex, redirect, st, "access_denied", CernerErrors.MISSING_PATIENT, clientId, tenant);
            return;
        }
        State.Txn txn = new State.Txn(issuer.randomId(18), tenant, clientId, redirect, omitted, st, String.join(" ", granted), launch,
                challenge, p.get("nonce"), sim.now().plusSeconds(TXN_LIFETIME_SECONDS));
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
        State.EhrSession session = new State.EhrSession(issuer.randomId(24), user.username());
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
            replies.redirectError(ex, txn.redirectUri(), txn.state(), "access_denied", CernerErrors.ACCESS_DENIED, txn.clientId(), tenant);
            return;
        }
        state.consents.add(consentKey(session.username(), txn));
        issueCode(ex, txn, session);
    }

    private State.Txn txn(Map<String, String> form, String tenant) {
        State.Txn txn = form.get("txn") == null ? null : state.txns.get(form.get("txn"));
        return txn == null || !txn.tenant().equals(tenant) || txn.expires().isBefore(sim.now()) ? null : txn;
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
                + "<form id=\"consent\" method=\"post\" action=\"" + Html.esc(sim.urls().authorizePath(txn.tenant())) + "/consent\">"
                + "<input type=\"hidden\" name=\"txn\" value=\"" + Html.esc(txn.id()) + "\">"
                + "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>"
                + "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>"));
    }

    private void loginPage(Exchange ex, State.Txn txn, String error) throws IOException {
        String ehr = sim.urls().generic(txn.tenant()) ? "the EHR" : "Cerner Millennium";
        ex.html(error == null ? 200 : 401, Html.page("Sign in", "<h1>Sign in to " + ehr + "</h1>"
                + (error == null ? "" : "<p class=\"error\" id=\"error\">" + Html.esc(error) + "</p>")
                + "<p class=\"muted\">Sandbox clinicians (as Code Console shows them, §6): " + Html.esc(String.join(", ",
                        state.users.values().stream().map(u -> u.username() + " / " + u.password()).toList())) + "</p>"
                + "<form id=\"login\" method=\"post\" action=\"" + Html.esc(sim.urls().authorizePath(txn.tenant())) + "/login\">"
                + "<input type=\"hidden\" name=\"txn\" value=\"" + Html.esc(txn.id()) + "\">"
                + "<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\">"
                + "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\">"
                + "<div><button type=\"submit\" id=\"sign-in\">Sign in</button></div></form>"));
    }

    private void issueCode(Exchange ex, State.Txn txn, State.EhrSession session) throws IOException {
        state.txns.remove(txn.id());
        // A launch is single-use: the first authorization that completes consumes it.
        if (state.launches.remove(txn.launch().id()) == null) {
            replies.redirectError(ex, txn.redirectUri(), txn.state(), "invalid_request", CernerErrors.INVALID_LAUNCH, txn.clientId(),
                    txn.tenant());
            return;
        }
        TenantSettings settings = sim.settings(txn.tenant());
        String code = UUID.randomUUID().toString();
        state.codes.put(code, new State.Code(code, txn.tenant(), txn.clientId(), txn.redirectOmitted() ? null : txn.redirectUri(),
                txn.challenge(), txn.scope(), txn.launch().patientId(), txn.launch().encounterId(), session.username(), session.id(),
                txn.nonce(), sim.now().plusSeconds(settings.codeLifetimeSeconds)));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("code", code);
        if (txn.state() != null) {
            params.put("state", txn.state());
        }
        ex.redirect(302, OAuthReplies.withQuery(txn.redirectUri(), params));
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
}
