package dev.smartbroker.cerner;

import java.io.IOException;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityBrokerException;
import org.keycloak.broker.provider.UserAuthenticationIdentityProvider.AuthenticationCallback;
import org.keycloak.events.Details;
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
 * Keycloak's broker endpoint for a Cerner tenant: {@code /realms/{realm}/broker/{alias}/endpoint}, the redirect
 * URI registered in Code Console.
 *
 * <p>It replaces Keycloak's generic OAuth2 callback so that each way Cerner can fail gets its own page and event
 * (access denied with Cerner's {@code error_uri}, code expired, client rejected, id_token invalid, Cerner slow
 * or down) instead of one "unexpected error", and so that the code exchange runs with the tenant's timeouts.
 * Keycloak's own code-exchange request (PKCE verifier, client authentication) and its broker flow after the
 * identity is known are reused unchanged. Public only because JAX-RS requires it.
 */
public final class CernerEndpoint {

    private static final Logger LOG = Logger.getLogger(CernerEndpoint.class);

    private final CernerIdentityProvider provider;
    private final AuthenticationCallback callback;
    private final RealmModel realm;
    private final EventBuilder event;
    private final KeycloakSession session;

    CernerEndpoint(CernerIdentityProvider provider, AuthenticationCallback callback, RealmModel realm, EventBuilder event) {
        this.provider = provider;
        this.callback = callback;
        this.realm = realm;
        this.event = event;
        this.session = provider.session();
    }

    @GET
    public Response authResponse(@QueryParam(OAuth2Constants.STATE) String state,
                                 @QueryParam(OAuth2Constants.CODE) String code,
                                 @QueryParam(OAuth2Constants.ERROR) String error,
                                 @QueryParam(OAuth2Constants.ERROR_DESCRIPTION) String errorDescription,
                                 @QueryParam("error_uri") String errorUri) {
        String alias = provider.getConfig().getAlias();
        event.event(EventType.IDENTITY_PROVIDER_LOGIN)
                .detail(Details.IDENTITY_PROVIDER, alias)
                .detail(Smart.DETAIL_ENVIRONMENT, provider.getConfig().environment());
        if (provider.tenantId() != null) {
            event.detail(Smart.DETAIL_TENANT, provider.tenantId());
        }
        if (state == null) {
            return LaunchErrors.page(session, null, event, LaunchErrors.Problem.CERNER_AUTHORIZE_ERROR,
                    "callback without state", null, alias);
        }
        AuthenticationSessionModel authSession;
        try {
            authSession = callback.getAndVerifyAuthenticationSession(state);
        } catch (WebApplicationException e) {
            // Keycloak's own page for an expired or foreign authentication session.
            return e.getResponse();
        }
        session.getContext().setAuthenticationSession(authSession);
        event.client(authSession.getClient());
        String sentTo = authSession.getClientNote(Smart.NOTE_IDP_ALIAS);
        if (!alias.equals(sentTo)) {
            // A callback is only valid at the endpoint of the tenant the login went to: otherwise one tenant's code
            // would be exchanged at another tenant's token endpoint, with that tenant's credentials.
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.CALLBACK_MISMATCH,
                    "callback for " + (sentTo == null ? "no EHR launch" : "IdP " + sentTo) + " arrived at IdP " + alias, null, alias);
        }

        if (error != null) {
            return cernerRefused(authSession, error, errorUri);
        }
        if (code == null) {
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.CERNER_AUTHORIZE_ERROR,
                    "callback without code or error", null, alias);
        }
        try {
            provider.discover();
            CernerTokenResponse tokenResponse;
            BrokeredIdentityContext identity;
            String body = exchange(authSession, code);
            // A broken answer is Cerner's token error; only a readable answer's id_token can be invalid.
            tokenResponse = CernerTokenResponse.parse(body);
            if (tokenResponse.idToken() == null) {
                throw new CernerException(CernerException.Kind.TOKEN_ERROR,
                        "Cerner returned no id_token: 'openid fhirUser' must be registered and granted");
            }
            try {
                identity = provider.getFederatedIdentity(body);
            } catch (IdentityBrokerException e) {
                throw new CernerException(CernerException.Kind.ID_TOKEN_INVALID, e.getMessage());
            }
            LaunchContext context = launchContext(identity, tokenResponse);
            if (identity.getModelUsername() == null) {
                identity.setModelUsername(identity.getUsername());
            }
            UserModel clinician = ClinicianAccounts.ensure(session, realm, alias, identity, event);
            authSession = BrowserSessions.handOver(session, authSession, clinician, event);
            LaunchStore.stage(session, authSession, context, CernerTokens.from(tokenResponse, CernerIdentityProvider.now()));
            forgetLaunchParameters(authSession);
            forgetTokens(identity);
            LOG.debugf("Cerner launch %s completed for client %s (IdP %s)", context.launchId(),
                    authSession.getClient().getClientId(), alias);

            identity.setIdp(provider);
            identity.setAuthenticationSession(authSession);
            return callback.authenticated(identity);
        } catch (WebApplicationException e) {
            return e.getResponse();
        } catch (CernerException e) {
            LOG.warnf("Cerner launch through IdP %s failed (%s): %s", alias, e.kind(), e.getMessage());
            if (e.cernerError() != null) {
                event.detail(Smart.DETAIL_CERNER_ERROR, SafeText.bounded(e.cernerError()));
            }
            String urn = LaunchErrors.cernerErrorUrn(e.errorUri());
            if (urn != null) {
                event.detail(Smart.DETAIL_CERNER_ERROR_URN, urn);
            }
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.of(e.kind()), e.getMessage(),
                    provider.moreInformationLink(e.errorUri()), alias);
        } catch (ClinicianAccounts.ProvisioningException e) {
            LOG.warnf("Cerner launch through IdP %s stopped: %s", alias, e.getMessage());
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.ACCOUNT_CONFLICT, e.getMessage(), null, alias);
        } catch (IllegalStateException e) {
            LOG.errorf(e, "Cerner launch through IdP %s could not be completed", alias);
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.SERVER_ERROR, e.getMessage(), null, alias);
        }
    }

    /** Cerner redirected with error + error_uri (docs/ehr/cerner.md §2.3): show its "more information" link. */
    private Response cernerRefused(AuthenticationSessionModel authSession, String error, String errorUri) {
        String urn = LaunchErrors.cernerErrorUrn(errorUri);
        String code = SafeText.bounded(error);
        event.detail(Smart.DETAIL_CERNER_ERROR, code);
        if (urn != null) {
            event.detail(Smart.DETAIL_CERNER_ERROR_URN, urn);
        }
        forgetLaunchParameters(authSession);
        String link = provider.moreInformationLink(errorUri);
        if ("access_denied".equals(error)) {
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.CERNER_ACCESS_DENIED,
                    "Cerner denied access" + (urn == null ? "" : " (" + urn + ")"), link, provider.getConfig().getAlias());
        }
        return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.CERNER_AUTHORIZE_ERROR,
                "Cerner authorize error " + code + (urn == null ? "" : " (" + urn + ")"), link, provider.getConfig().getAlias());
    }

    /** The authorization-code exchange: Keycloak's request (PKCE verifier, client authentication), our timeouts. */
    private String exchange(AuthenticationSessionModel authSession, String code) throws CernerException {
        SimpleHttpRequest request;
        try {
            request = provider.withTimeouts(provider.codeExchangeRequest(callback, realm, event, code));
        } catch (IllegalStateException | IdentityBrokerException e) {
            // No signing key for private_key_jwt, or an unreadable client secret.
            throw new CernerException(CernerException.Kind.INVALID_CLIENT, "could not authenticate to Cerner: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e.getCause() instanceof IllegalStateException ise) {
                throw new CernerException(CernerException.Kind.INVALID_CLIENT, "could not authenticate to Cerner: " + ise.getMessage());
            }
            throw e;
        }
        try (SimpleHttpResponse response = request.asResponse()) {
            int status = response.getStatus();
            String body = response.asString();
            if (status < 200 || status >= 300) {
                throw CernerTokenResponse.error(status, body, CernerException.Kind.TOKEN_ERROR);
            }
            return body;
        } catch (IOException e) {
            throw CernerHttp.classify(e, request.getUrl());
        }
    }

    private LaunchContext launchContext(BrokeredIdentityContext identity, CernerTokenResponse tokenResponse) throws CernerException {
        String configuredTenant = provider.tenantId();
        if (tokenResponse.tenant() != null && !tokenResponse.tenant().equals(configuredTenant)) {
            // A token response for another tenant must never become this tenant's launch.
            throw new CernerException(CernerException.Kind.TOKEN_ERROR, "token response names another tenant");
        }
        String fhirBase = provider.getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse(null);
        return new LaunchContext(LaunchStore.newLaunchId(), provider.getConfig().getAlias(), configuredTenant,
                fhirBase, (String) identity.getContextData().get(Smart.FHIR_USER), tokenResponse.patient(),
                tokenResponse.encounter(), tokenResponse.needPatientBanner(), tokenResponse.smartStyleUrl(),
                tokenResponse.scope(), CernerIdentityProvider.now());
    }

    /**
     * Cerner's tokens are staged sealed; they must not travel further in plain text. Keycloak serialises the
     * brokered context into the authentication session during a first login, so they are removed from it here.
     */
    private static void forgetTokens(BrokeredIdentityContext identity) {
        identity.getContextData().remove(CernerIdentityProvider.CONTEXT_TOKEN_RESPONSE);
        identity.getContextData().remove(org.keycloak.broker.oidc.OIDCIdentityProvider.FEDERATED_ACCESS_TOKEN_RESPONSE);
        identity.getContextData().remove(org.keycloak.broker.provider.UserAuthenticationIdentityProvider.FEDERATED_ACCESS_TOKEN);
        identity.setToken(null);
    }

    /**
     * Cerner's launch value and the iss were needed only for the authorize request. Remove them so that
     * Keycloak does not copy them into the client session it persists.
     */
    private static void forgetLaunchParameters(AuthenticationSessionModel authSession) {
        authSession.removeClientNote(Smart.NOTE_LAUNCH);
        authSession.removeClientNote(Smart.NOTE_ISS);
        authSession.removeClientNote(AuthorizationEndpoint.LOGIN_SESSION_NOTE_ADDITIONAL_REQ_PARAMS_PREFIX + Smart.LAUNCH);
        authSession.removeClientNote(AuthorizationEndpoint.LOGIN_SESSION_NOTE_ADDITIONAL_REQ_PARAMS_PREFIX + Smart.ISS);
    }
}
