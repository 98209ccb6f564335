package dev.smartbroker.smart.launch;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.page.LaunchErrors;
import dev.smartbroker.smart.tenant.Tenants;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.constants.AdapterConstants;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationProcessor;
import org.keycloak.broker.provider.AuthenticationRequest;
import org.keycloak.broker.provider.UserAuthenticationIdentityProvider;
import org.keycloak.broker.provider.util.IdentityBrokerState;
import org.keycloak.authentication.authenticators.browser.IdentityProviderAuthenticator;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.protocol.oidc.endpoints.AuthorizationEndpoint;
import org.keycloak.services.Urls;
import org.keycloak.services.managers.ClientSessionCode;
import org.keycloak.services.resources.IdentityBrokerService;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * Browser-flow step that turns an app's authorization request into an EHR launch at the right SMART tenant.
 *
 * <p>Place it before "Cookie" in the browser flow: every launch needs its own round trip to the EHR (the launch value
 * must be exchanged upstream), even when the browser already has a Keycloak session. It finds the launch of
 * <em>this</em> request, in this order:
 * <ol>
 *   <li>{@code iss} and {@code launch} as extra authorization parameters (apps that host their own Launch URI);</li>
 *   <li>{@code kc_launch}, the handle the Keycloak Launch URI put on the app's landing URL (exact binding);</li>
 *   <li>the per-app launch cookie set by the Launch URI (apps that forward nothing), unless two launches of the
 *       app wait in the browser, which fails closed.</li>
 * </ol>
 * Then it hands off to the tenant's identity provider, which sends {@code launch}, {@code aud} and PKCE upstream.
 * Without a launch it steps aside (ALTERNATIVE) or shows "open from the EHR" (REQUIRED). Requests whose
 * {@code iss}/{@code launch} are meant for another identity provider of the realm are left alone ({@link LaunchRequest}).
 */
final class SmartLaunchAuthenticator extends IdentityProviderAuthenticator {

    private static final Logger LOG = Logger.getLogger(SmartLaunchAuthenticator.class);
    private static final String PARAM = AuthorizationEndpoint.LOGIN_SESSION_NOTE_ADDITIONAL_REQ_PARAMS_PREFIX;

    private record Launch(String idpAlias, String iss, String launch, String mode) {

        @Override
        public String toString() {
            return "Launch[idp=" + idpAlias + ", mode=" + mode + "]";
        }
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        KeycloakSession session = context.getSession();
        ClientModel client = authSession.getClient();
        EventBuilder event = context.getEvent().clone().client(client);

        String iss = parameter(authSession, Smart.ISS);
        String launchValue = parameter(authSession, Smart.LAUNCH);
        String handle = takeParameter(authSession, LaunchParameters.HANDLE);
        boolean passive = "none".equals(authSession.getClientNote(OIDCLoginProtocol.PROMPT_PARAM));

        LaunchRequest.Verdict verdict = LaunchRequest.Verdict.NOT_OURS;
        Tenants.Resolution resolution = null;
        if (iss != null || launchValue != null) {
            String hint = idpHint(context);
            boolean otherProvider = hint != null && Tenants.isOtherProvider(session, hint);
            resolution = iss == null || otherProvider ? null : Tenants.resolve(session, iss, client.getClientId());
            boolean noTenant = resolution == null || (!resolution.ambiguous() && resolution.tenant().isEmpty());
            List<String> forwarders = otherProvider || !noTenant ? List.of() : Tenants.forwardersOf(session, Set.of(Smart.ISS, Smart.LAUNCH));
            verdict = LaunchRequest.classify(iss, launchValue, otherProvider, resolution, forwarders);
            if (verdict == LaunchRequest.Verdict.NOT_OURS) {
                LOG.debugf("Authorization request of client %s carries launch parameters for another identity provider (%s)",
                        client.getClientId(), otherProvider ? hint : String.join(",", forwarders));
            } else {
                // Ours: not copied into the stored client session, nor forwarded anywhere.
                takeParameter(authSession, Smart.ISS);
                takeParameter(authSession, Smart.LAUNCH);
            }
        }

        Launch launch;
        if (verdict != LaunchRequest.Verdict.NOT_OURS) {
            event.detail(Smart.DETAIL_LAUNCH_MODE, "authorize_parameters");
            switch (verdict) {
                case MISSING_PARAMETERS -> {
                    fail(context, event, LaunchErrors.Problem.MISSING_PARAMETERS, iss == null ? "iss missing" : "launch missing");
                    return;
                }
                case AMBIGUOUS -> {
                    event.detail("smart_tenants", String.join(",", resolution.conflicting()));
                    fail(context, event, LaunchErrors.Problem.TENANT_AMBIGUOUS, "several tenants claim this iss for this app");
                    return;
                }
                case UNKNOWN_TENANT -> {
                    LOG.warnf("Refused a launch of client %s from an iss that matches no SMART tenant", client.getClientId());
                    fail(context, event, LaunchErrors.Problem.UNKNOWN_TENANT, "iss matches no configured tenant");
                    return;
                }
                default -> launch = new Launch(resolution.tenant().orElseThrow().alias(), iss, launchValue, "authorize_parameters");
            }
        } else if (handle != null) {
            event.detail(Smart.DETAIL_LAUNCH_MODE, "handle");
            // Check the app before claiming: a handle shown to the wrong app must stay usable by the right one.
            Optional<PendingLaunches.Pending> seen = PendingLaunches.peek(session, handle);
            if (seen.isPresent() && !client.getId().equals(seen.get().clientUuid())) {
                fail(context, event, LaunchErrors.Problem.LAUNCH_EXPIRED, "launch handle of another app");
                return;
            }
            Optional<PendingLaunches.Pending> pending = seen.isEmpty() || seen.get().used() ? Optional.empty()
                    : PendingLaunches.claim(session, handle).filter(p -> client.getId().equals(p.clientUuid()));
            if (pending.isEmpty()) {
                fail(context, event, LaunchErrors.Problem.LAUNCH_EXPIRED, "launch handle unknown, expired or used");
                return;
            }
            launch = new Launch(pending.get().idpAlias(), pending.get().iss(), pending.get().launch(), "handle");
        } else {
            Optional<String> cookieHandle = passive ? Optional.empty() : PendingLaunches.handleFromCookie(session, client);
            Optional<PendingLaunches.Pending> waiting = cookieHandle.flatMap(h -> PendingLaunches.peek(session, h));
            if (waiting.isPresent() && waiting.get().contested()) {
                // Two launches of this app met in this browser (one of them may be claimed already, by handle): the
                // cookie cannot say which one this login belongs to.
                event.detail(Smart.DETAIL_LAUNCH_MODE, "cookie");
                fail(context, event, LaunchErrors.Problem.LAUNCH_AMBIGUOUS,
                        "two launches of the app met in one browser and the app forwarded no kc_launch");
                return;
            }
            Optional<PendingLaunches.Pending> claimed = waiting.flatMap(p -> PendingLaunches.claim(session, p.handle()))
                    .filter(p -> client.getId().equals(p.clientUuid()));
            if (cookieHandle.isPresent()) {
                session.getContext().getHttpResponse().setCookieIfAbsent(
                        PendingLaunches.cookie(session, context.getRealm(), client, null, 0));
            }
            if (claimed.isEmpty()) {
                noLaunch(context, event);
                return;
            }
            event.detail(Smart.DETAIL_LAUNCH_MODE, "cookie");
            launch = new Launch(claimed.get().idpAlias(), claimed.get().iss(), claimed.get().launch(), "cookie");
        }
        start(context, event, launch);
    }

    private void start(AuthenticationFlowContext context, EventBuilder event, Launch launch) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        ClientModel client = authSession.getClient();
        Optional<Tenants.Tenant> tenant = Tenants.byAlias(context.getSession(), launch.idpAlias());
        event.detail(Details.IDENTITY_PROVIDER, launch.idpAlias());
        tenant.ifPresent(t -> event.detail(Smart.DETAIL_TENANT, t.tenantId()));
        if (tenant.isEmpty() || !tenant.get().enabled()) {
            fail(context, event, LaunchErrors.Problem.TENANT_DISABLED, "tenant's identity provider is missing, disabled or for account linking only");
            return;
        }
        if (!LaunchableClients.isLaunchable(client)) {
            fail(context, event, LaunchErrors.Problem.APP_NOT_LAUNCHABLE, "client has no SMART launch context scope");
            return;
        }
        // The first token is bound to its launch through this request's PKCE challenge (LaunchStore).
        String challenge = authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM);
        String method = authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_METHOD_PARAM);
        if (challenge == null || challenge.isBlank() || !OAuth2Constants.PKCE_METHOD_S256.equals(method)) {
            fail(context, event, LaunchErrors.Problem.PKCE_REQUIRED, "authorization request without an S256 PKCE challenge");
            return;
        }
        authSession.setClientNote(Smart.NOTE_IDP_ALIAS, launch.idpAlias());
        authSession.setClientNote(Smart.NOTE_ISS, launch.iss());
        authSession.setClientNote(Smart.NOTE_LAUNCH, launch.launch());
        LOG.debugf("Launch of client %s via %s goes to SMART tenant %s", client.getClientId(), launch.mode(), launch.idpAlias());
        context.getEvent().detail(Smart.DETAIL_LAUNCH_MODE, launch.mode()).detail(Details.IDENTITY_PROVIDER, launch.idpAlias());
        sendToTenant(context, event, launch.idpAlias());
    }

    /**
     * Sends the browser from the app's authorization request straight to the tenant's authorize endpoint.
     *
     * <p>Keycloak's own redirector ({@link IdentityProviderAuthenticator#redirect}) answers with a redirect to its broker
     * login endpoint, which then builds the identity provider's request and redirects again: one more round trip of
     * the clinician's browser per launch. This builds that same request here, from the same parts: the state bound to
     * this authentication session's code, client and tab, and the broker's callback as {@code redirect_uri}. The
     * callback checks the state as it does for Keycloak's redirector (docs/architecture.md §8.4).
     */
    private void sendToTenant(AuthenticationFlowContext context, EventBuilder event, String alias) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        IdentityProviderModel model = session.identityProviders().getByAlias(alias);
        if (model == null) {
            // start() found the tenant usable (enabled, not link-only) in this request; only a removal since can miss.
            fail(context, event, LaunchErrors.Problem.TENANT_DISABLED, "tenant's identity provider is missing");
            return;
        }
        Response toTenant;
        try {
            UserAuthenticationIdentityProvider<?> provider = IdentityBrokerService.getIdentityProvider(session, model,
                    UserAuthenticationIdentityProvider.class);
            ClientSessionCode<AuthenticationSessionModel> code = new ClientSessionCode<>(session, realm, authSession);
            code.setAction(AuthenticationSessionModel.Action.AUTHENTICATE.name());
            ClientModel client = authSession.getClient();
            IdentityBrokerState state = IdentityBrokerState.decoded(code.getOrGenerateCode(), client.getId(), client.getClientId(),
                    authSession.getTabId(), provider.supportsLongStateParameter() ? AuthenticationProcessor.getClientData(session, authSession) : null);
            String callback = Urls.identityProviderAuthnResponse(context.getUriInfo().getBaseUri(), alias, realm.getName()).toString();
            toTenant = provider.performLogin(new AuthenticationRequest(session, realm, authSession, context.getHttpRequest(),
                    session.getContext().getUri(), state, callback));
        } catch (WebApplicationException e) {
            // A provider's own answer, as Keycloak's broker login endpoint passes it on.
            context.forceChallenge(e.getResponse());
            return;
        } catch (RuntimeException e) {
            // The exception's message may carry URLs of the request: its type at WARN, the whole of it at DEBUG.
            LOG.warnf("Could not start the login at SMART tenant %s for client %s: %s", alias, authSession.getClient().getClientId(),
                    e.getClass().getSimpleName());
            LOG.debug("Building the tenant's authorization request failed", e);
            fail(context, event, LaunchErrors.Problem.SERVER_ERROR, "could not build the tenant's authorization request");
            return;
        }
        if (toTenant.getStatusInfo().getFamily() == Response.Status.Family.REDIRECTION
                && "none".equals(authSession.getClientNote(OIDCLoginProtocol.PROMPT_PARAM))
                && Boolean.parseBoolean(model.getConfig().get(ACCEPTS_PROMPT_NONE))) {
            // As Keycloak's redirector does: the provider's answer to a forwarded prompt=none ends the login passively.
            authSession.setAuthNote(AuthenticationProcessor.FORWARDED_PASSIVE_LOGIN, "true");
        }
        context.forceChallenge(toTenant);
    }

    private void noLaunch(AuthenticationFlowContext context, EventBuilder event) {
        if (context.getExecution().getRequirement() == AuthenticationExecutionModel.Requirement.REQUIRED) {
            fail(context, event, LaunchErrors.Problem.LAUNCH_REQUIRED, "app may only be opened through an EHR launch");
            return;
        }
        context.attempted();
    }

    private static void fail(AuthenticationFlowContext context, EventBuilder event, LaunchErrors.Problem problem, String reason) {
        Response page = LaunchErrors.page(context.getSession(), context.getAuthenticationSession(), event, problem, reason, null,
                null, context.getAuthenticationSession().getClient().getClientId());
        context.forceChallenge(page);
    }

    /** An extra authorization parameter of the app's request, left in place. */
    private static String parameter(AuthenticationSessionModel authSession, String name) {
        String value = authSession.getClientNote(PARAM + name);
        return value == null || value.isBlank() ? null : value;
    }

    /** The identity provider the app asked for ({@code kc_idp_hint}), as Keycloak's own redirector reads it. */
    private static String idpHint(AuthenticationFlowContext context) {
        String hint = context.getUriInfo().getQueryParameters().getFirst(AdapterConstants.KC_IDP_HINT);
        return hint != null ? hint : context.getAuthenticationSession().getClientNote(AdapterConstants.KC_IDP_HINT);
    }

    /** Reads an extra authorization parameter and removes it, so that it is not copied into the stored client session. */
    private static String takeParameter(AuthenticationSessionModel authSession, String name) {
        String value = authSession.getClientNote(PARAM + name);
        if (value != null) {
            authSession.removeClientNote(PARAM + name);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
