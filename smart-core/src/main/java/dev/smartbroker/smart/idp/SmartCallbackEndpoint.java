package dev.smartbroker.smart.idp;

import java.io.IOException;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.page.LaunchErrors;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.token.TokenResponse;
import dev.smartbroker.smart.token.UpstreamTokens;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.broker.oidc.OIDCIdentityProvider;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityBrokerException;
import org.keycloak.broker.provider.UserAuthenticationIdentityProvider.AuthenticationCallback;
import org.keycloak.broker.provider.UserAuthenticationIdentityProvider;
import org.keycloak.common.util.Time;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.protocol.oidc.endpoints.AuthorizationEndpoint;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * Keycloak's broker endpoint for a SMART tenant: {@code /realms/{realm}/broker/{alias}/endpoint}, the redirect URI
 * registered at the EHR.
 *
 * <p>It replaces Keycloak's generic OAuth2 callback so that each way the EHR can fail gets its own page and event
 * (access denied with the EHR's {@code error_uri}, code expired, client rejected, id_token invalid, EHR slow or down)
 * instead of one "unexpected error", and so that the code exchange runs with the tenant's timeouts. Keycloak's own
 * code-exchange request (PKCE verifier, client authentication) and its broker flow after the identity is known are
 * reused unchanged. Public only because JAX-RS requires it.
 */
public final class SmartCallbackEndpoint {

    private static final Logger LOG = Logger.getLogger(SmartCallbackEndpoint.class);

    private final SmartIdentityProvider provider;
    private final AuthenticationCallback callback;
    private final RealmModel realm;
    private final EventBuilder event;
    private final KeycloakSession session;
    private final SmartProfile profile;

    SmartCallbackEndpoint(SmartIdentityProvider provider, AuthenticationCallback callback, RealmModel realm, EventBuilder event) {
        this.provider = provider;
        this.callback = callback;
        this.realm = realm;
        this.event = event;
        this.session = provider.session();
        this.profile = provider.getConfig().profile();
    }

    @GET
    public Response authResponse(@QueryParam(OAuth2Constants.STATE) String state,
                                 @QueryParam(OAuth2Constants.CODE) String code,
                                 @QueryParam(OAuth2Constants.ERROR) String error,
                                 @QueryParam(OAuth2Constants.ERROR_DESCRIPTION) String errorDescription,
                                 @QueryParam("error_uri") String errorUri) {
        String alias = provider.getConfig().getAlias();
        provider.describe(event.event(EventType.IDENTITY_PROVIDER_LOGIN));
        if (state == null) {
            return page(null, LaunchErrors.Problem.EHR_AUTHORIZE_ERROR, "callback without state", null);
        }
        AuthenticationSessionModel authSession;
        try {
            authSession = callback.getAndVerifyAuthenticationSession(state);
        } catch (WebApplicationException e) {
            // The login this callback belongs to is gone (expired, used, or lost in a full cluster restart).
            return page(null, LaunchErrors.Problem.LAUNCH_EXPIRED, "callback for an unknown or expired login", null);
        }
        session.getContext().setAuthenticationSession(authSession);
        event.client(authSession.getClient());
        String sentTo = authSession.getClientNote(Smart.NOTE_IDP_ALIAS);
        if (!alias.equals(sentTo)) {
            // A callback is only valid at the endpoint of the tenant the login went to: otherwise one tenant's code
            // would be exchanged at another tenant's token endpoint, with that tenant's credentials.
            return page(authSession, LaunchErrors.Problem.CALLBACK_MISMATCH,
                    "callback for " + (sentTo == null ? "no EHR launch" : "IdP " + sentTo) + " arrived at IdP " + alias, null);
        }
        if (error != null) {
            return refused(authSession, error, errorUri);
        }
        if (code == null) {
            return page(authSession, LaunchErrors.Problem.EHR_AUTHORIZE_ERROR, "callback without code or error", null);
        }
        try {
            provider.discover();
            String body = exchange(code);
            // A broken answer is the EHR's token error; only a readable answer's id_token can be invalid.
            TokenResponse tokenResponse = TokenResponse.parse(body);
            if (tokenResponse.idToken() == null) {
                throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR,
                        "the EHR returned no id_token: 'openid fhirUser' must be registered and granted");
            }
            BrokeredIdentityContext identity;
            try {
                identity = provider.getFederatedIdentity(body);
            } catch (IdentityBrokerException e) {
                throw new UpstreamException(UpstreamException.Kind.ID_TOKEN_INVALID, e.getMessage());
            }
            LaunchContext context = launchContext(identity, tokenResponse);
            if (identity.getModelUsername() == null) {
                identity.setModelUsername(identity.getUsername());
            }
            UserModel clinician = ClinicianAccounts.ensure(session, realm, alias, identity, event);
            ClinicianOrganizations.join(session, realm, provider.getConfig(), clinician);
            authSession = BrowserSessions.handOver(session, authSession, clinician, event);
            LaunchStore.stage(session, authSession, clinician, context, UpstreamTokens.from(tokenResponse, Time.currentTimeSeconds()),
                    provider.services().settings().launchesKept());
            forgetLaunchParameters(authSession);
            forgetTokens(identity);
            LOG.debugf("Launch %s completed for client %s (IdP %s)", context.launchId(), authSession.getClient().getClientId(), alias);

            identity.setIdp(provider);
            identity.setAuthenticationSession(authSession);
            Response authenticated = callback.authenticated(identity);
            provider.services().metrics().launchSucceeded(session, alias);
            return authenticated;
        } catch (WebApplicationException e) {
            return e.getResponse();
        } catch (UpstreamException e) {
            LOG.warnf("Launch through IdP %s failed (%s): %s", alias, e.kind(), e.getMessage());
            if (e.ehrError() != null) {
                event.detail(provider.errorDetail(), SafeText.bounded(e.ehrError()));
            }
            errorCode(e.errorUri());
            return page(authSession, LaunchErrors.Problem.of(e.kind()), e.getMessage(), provider.moreInformationLink(e.errorUri()));
        } catch (ClinicianAccounts.ProvisioningException e) {
            LOG.warnf("Launch through IdP %s stopped: %s", alias, e.getMessage());
            return page(authSession, LaunchErrors.Problem.ACCOUNT_CONFLICT, e.getMessage(), null);
        } catch (IllegalStateException e) {
            LOG.errorf(e, "Launch through IdP %s could not be completed", alias);
            return page(authSession, LaunchErrors.Problem.SERVER_ERROR, e.getMessage(), null);
        }
    }

    private Response page(AuthenticationSessionModel authSession, LaunchErrors.Problem problem, String reason, String moreInfo) {
        return LaunchErrors.page(session, authSession, event, problem, reason, moreInfo, profile, provider.getConfig().getAlias());
    }

    /** The EHR redirected with error + error_uri (docs/ehr/cerner.md §2.3): show its "more information" link. */
    private Response refused(AuthenticationSessionModel authSession, String error, String errorUri) {
        String code = SafeText.bounded(error);
        event.detail(provider.errorDetail(), code);
        String urn = errorCode(errorUri);
        forgetLaunchParameters(authSession);
        String link = provider.moreInformationLink(errorUri);
        String suffix = urn == null ? "" : " (" + urn + ")";
        if ("access_denied".equals(error)) {
            return page(authSession, LaunchErrors.Problem.EHR_ACCESS_DENIED, "the EHR denied access" + suffix, link);
        }
        if (profile.rejectsLaunch(error, urn)) {
            return page(authSession, LaunchErrors.Problem.EHR_LAUNCH_REJECTED, "the EHR refused the launch value" + suffix, link);
        }
        return page(authSession, LaunchErrors.Problem.EHR_AUTHORIZE_ERROR, "the EHR's authorize error " + code + suffix, link);
    }

    /** Records the profile's short code of an {@code error_uri} (Cerner's URN) as {@code <prefix>_error_urn}. */
    private String errorCode(String errorUri) {
        String urn = profile.errorCode(errorUri);
        if (urn != null) {
            event.detail(provider.errorDetail() + "_urn", urn);
        }
        return urn;
    }

    /** The authorization-code exchange: Keycloak's request (PKCE verifier, client authentication), our timeouts. */
    private String exchange(String code) throws UpstreamException {
        SimpleHttpRequest request;
        try {
            request = provider.withTimeouts(provider.codeExchangeRequest(callback, realm, event, code));
        } catch (IllegalStateException | IdentityBrokerException e) {
            // No signing key for private_key_jwt, or an unreadable client secret.
            throw new UpstreamException(UpstreamException.Kind.INVALID_CLIENT, "could not authenticate to the EHR: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e.getCause() instanceof IllegalStateException ise) {
                throw new UpstreamException(UpstreamException.Kind.INVALID_CLIENT, "could not authenticate to the EHR: " + ise.getMessage());
            }
            throw e;
        }
        SimpleHttpRequest exchange = request;
        return provider.services().metrics().upstream(session, provider.getConfig().getAlias(), SmartMetrics.Upstream.TOKEN_CODE, () -> {
            try (SimpleHttpResponse response = exchange.asResponse()) {
                int status = response.getStatus();
                String body = response.asString();
                if (status < 200 || status >= 300) {
                    throw TokenResponse.error(status, body, UpstreamException.Kind.TOKEN_ERROR);
                }
                return body;
            } catch (IOException e) {
                throw UpstreamHttp.classify(e, exchange.getUrl());
            }
        });
    }

    private LaunchContext launchContext(BrokeredIdentityContext identity, TokenResponse tokenResponse) throws UpstreamException {
        String tenant = provider.tenantId();
        if (profile.checksTokenResponseTenant() && tokenResponse.tenant() != null && !tokenResponse.tenant().equals(tenant)) {
            // A token response for another tenant must never become this tenant's launch.
            throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "token response names another tenant");
        }
        String fhirBase = provider.getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse(null);
        return new LaunchContext(LaunchStore.newLaunchId(), provider.getConfig().getAlias(), tenant, fhirBase,
                (String) identity.getContextData().get(Smart.FHIR_USER), tokenResponse.patient(), tokenResponse.encounter(),
                tokenResponse.needPatientBanner(), tokenResponse.smartStyleUrl(), Time.currentTimeSeconds());
    }

    /**
     * The EHR's tokens are staged sealed; they must not travel further in plain text. Keycloak serialises the brokered
     * context into the authentication session during a first login, so they are removed from it here.
     */
    private static void forgetTokens(BrokeredIdentityContext identity) {
        identity.getContextData().remove(OIDCIdentityProvider.FEDERATED_ACCESS_TOKEN_RESPONSE);
        identity.getContextData().remove(UserAuthenticationIdentityProvider.FEDERATED_ACCESS_TOKEN);
        identity.setToken(null);
    }

    /**
     * The EHR's launch value and the iss were needed only for the authorize request. Remove them so that Keycloak does
     * not copy them into the client session it persists.
     */
    private static void forgetLaunchParameters(AuthenticationSessionModel authSession) {
        authSession.removeClientNote(Smart.NOTE_LAUNCH);
        authSession.removeClientNote(Smart.NOTE_ISS);
        authSession.removeClientNote(AuthorizationEndpoint.LOGIN_SESSION_NOTE_ADDITIONAL_REQ_PARAMS_PREFIX + Smart.LAUNCH);
        authSession.removeClientNote(AuthorizationEndpoint.LOGIN_SESSION_NOTE_ADDITIONAL_REQ_PARAMS_PREFIX + Smart.ISS);
    }
}
