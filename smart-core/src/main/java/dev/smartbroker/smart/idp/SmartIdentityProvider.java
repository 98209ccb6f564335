package dev.smartbroker.smart.idp;

import java.net.URI;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.backend.ClientAssertions;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.page.LaunchErrors;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.token.LaunchTokens;
import dev.smartbroker.smart.token.TokenResponse;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.broker.oidc.OIDCIdentityProvider;
import org.keycloak.broker.provider.AuthenticationRequest;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityBrokerException;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.http.simple.SimpleHttp;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.models.IdentityProviderType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * One SMART tenant as a Keycloak identity provider: Keycloak's OIDC broker, bent to the SMART EHR launch. The tenant's
 * profile decides where EHRs differ.
 *
 * <p>What differs from plain OIDC, and why:
 * <ul>
 *   <li>endpoints come from the tenant's discovery, fetched lazily and cached (never in a constructor);</li>
 *   <li>the authorize request carries {@code launch} and {@code aud} = the tenant's FHIR base
 *       (docs/ehr/smart-app-launch.md §2), and no {@code prompt};</li>
 *   <li>the id_token {@code iss} is the profile's (Cerner's differs from its discovery issuer, docs/ehr/cerner.md §2.7),
 *       and its keys are looked for again, within a bounded time, on an unknown kid;</li>
 *   <li>the clinician is keyed by tenant and fhirUser, not by {@code sub} ({@link ClinicianIdentity});</li>
 *   <li>launch context and tokens come from the token response JSON and are kept per launch, sealed
 *       ({@link LaunchStore}); nothing is stored in the federated identity or in user-session notes.</li>
 * </ul>
 */
public class SmartIdentityProvider extends OIDCIdentityProvider {

    private static final Logger LOG = Logger.getLogger(SmartIdentityProvider.class);

    private final SmartServices services;

    public SmartIdentityProvider(KeycloakSession session, SmartTenantConfig config, SmartServices services) {
        super(session, config);
        this.services = services;
    }

    @Override
    public SmartTenantConfig getConfig() {
        return (SmartTenantConfig) super.getConfig();
    }

    KeycloakSession session() {
        return session;
    }

    public SmartServices services() {
        return services;
    }

    /** Resolves the tenant's endpoints (cached) and points this instance's config at them. */
    public SmartConfiguration discover() throws UpstreamException {
        SmartConfiguration configuration = services.discovery().get(session, getConfig());
        getConfig().applyDiscovery(configuration);
        return configuration;
    }

    public String tenantId() {
        return getConfig().tenantId();
    }

    /**
     * {@code errorUri} when it may be shown as the EHR's "more information" link: a page on the tenant's authorization
     * server or on a host the profile trusts; else null.
     */
    public String moreInformationLink(String errorUri) {
        if (errorUri == null) {
            return null;
        }
        Set<String> hosts = new HashSet<>(getConfig().profile().moreInformationHosts(getConfig()));
        try {
            SmartConfiguration configuration = discover();
            URI authorize = URI.create(configuration.authorizationEndpoint() != null ? configuration.authorizationEndpoint()
                    : configuration.tokenEndpoint());
            String host = authorize.getHost().toLowerCase(Locale.ROOT);
            hosts.add(authorize.getPort() == -1 ? host : host + ":" + authorize.getPort());
        } catch (UpstreamException | RuntimeException e) {
            // Without the tenant's endpoints only the profile's hosts qualify.
        }
        return LaunchErrors.trustedLink(errorUri, hosts, !getConfig().isProduction());
    }

    /** An event of this tenant: IdP alias, environment and tenant id set. */
    public EventBuilder event(RealmModel realm, EventType type) {
        EventBuilder event = new EventBuilder(realm, session, session.getContext().getConnection()).event(type);
        return describe(event);
    }

    /** Adds this tenant's IdP alias, environment and tenant id to an event. */
    public EventBuilder describe(EventBuilder event) {
        event.detail(Details.IDENTITY_PROVIDER, getConfig().getAlias()).detail(Smart.DETAIL_ENVIRONMENT, getConfig().environment());
        String tenant = tenantId();
        if (tenant != null) {
            event.detail(Smart.DETAIL_TENANT, tenant);
        }
        return event;
    }

    /** The event detail name of the EHR's OAuth2 error code ({@code cerner_error}, {@code ehr_error}). */
    public String errorDetail() {
        return getConfig().profile().errorPrefix() + "_error";
    }

    // ---------------------------------------------------------------- authorize

    @Override
    public Response performLogin(AuthenticationRequest request) {
        AuthenticationSessionModel authSession = request.getAuthenticationSession();
        EventBuilder event = event(request.getRealm(), EventType.IDENTITY_PROVIDER_LOGIN).client(authSession.getClient());
        String alias = authSession.getClientNote(Smart.NOTE_IDP_ALIAS);
        if (authSession.getClientNote(Smart.NOTE_LAUNCH) == null || authSession.getClientNote(Smart.NOTE_ISS) == null
                || !getConfig().getAlias().equals(alias)) {
            // A provider-persona login needs an EHR launch (Cerner answers launch:code-required after the clinician
            // typed a password, docs/ehr/cerner.md §2.9): say so before leaving.
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.LAUNCH_REQUIRED,
                    "login through a SMART tenant without an EHR launch", null, getConfig().profile());
        }
        try {
            SmartConfiguration configuration = discover();
            if (configuration.authorizationEndpoint() == null) {
                throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "the tenant's discovery names no authorization endpoint");
            }
        } catch (UpstreamException e) {
            LOG.warnf("Discovery for IdP %s failed: %s", getConfig().getAlias(), e.getMessage());
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.of(e.kind()), e.getMessage(), null,
                    getConfig().profile());
        }
        LOG.debugf("Sending launch of client %s to tenant %s (IdP %s)", authSession.getClient().getClientId(), tenantId(),
                getConfig().getAlias());
        return super.performLogin(request);
    }

    @Override
    protected UriBuilder createAuthorizationUrl(AuthenticationRequest request) {
        AuthenticationSessionModel authSession = request.getAuthenticationSession();
        UriBuilder builder = super.createAuthorizationUrl(request);
        // Forwarding an app's prompt=login would force a second sign-in at the EHR.
        builder.replaceQueryParam(OAuth2Constants.PROMPT);
        // aud is required (docs/ehr/smart-app-launch.md §2): the tenant's FHIR base as configured, in canonical form. The
        // iss as received only matched it after canonicalisation (case, default port, trailing slash).
        builder.queryParam(Smart.AUD, getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElseThrow());
        builder.queryParam(Smart.LAUNCH, authSession.getClientNote(Smart.NOTE_LAUNCH));
        return builder;
    }

    // ---------------------------------------------------------------- callback

    @Override
    public Object callback(RealmModel realm, AuthenticationCallback callback, EventBuilder event) {
        return new SmartCallbackEndpoint(this, callback, realm, event);
    }

    /** Keycloak's code-exchange request (redirect_uri, PKCE verifier, client authentication), reused as is. */
    SimpleHttpRequest codeExchangeRequest(AuthenticationCallback callback, RealmModel realm, EventBuilder event, String code) {
        return new Endpoint(callback, realm, event, this).generateTokenRequest(code);
    }

    /** The same request with the tenant's timeouts. */
    public SimpleHttpRequest withTimeouts(SimpleHttpRequest request) {
        SimpleHttpRequest timed = UpstreamHttp.client(session, getConfig()).doPost(request.getUrl());
        if (request.getHeaders() != null) {
            request.getHeaders().forEach(timed::header);
        }
        if (request.getParams() != null) {
            request.getParams().forEach(timed::param);
        }
        return timed.header("Accept", "application/json");
    }

    /** The identity behind a token response: the id_token validated, the clinician keyed by tenant and fhirUser. */
    @Override
    public BrokeredIdentityContext getFederatedIdentity(String response) {
        TokenResponse tokenResponse;
        try {
            tokenResponse = TokenResponse.parse(response);
        } catch (UpstreamException e) {
            throw new IdentityBrokerException(e.getMessage());
        }
        if (tokenResponse.idToken() == null) {
            throw new IdentityBrokerException("the EHR returned no id_token: 'openid fhirUser' must be registered and granted");
        }
        BrokeredIdentityContext identity = super.getFederatedIdentity(response);
        JsonWebToken idToken = (JsonWebToken) identity.getContextData().get(VALIDATED_ID_TOKEN);
        String fhirUser = ClinicianIdentity.apply(session, getConfig(), identity, idToken, tokenResponse);
        identity.getContextData().put(Smart.FHIR_USER, fhirUser);
        return identity;
    }

    // ---------------------------------------------------------------- id_token validation

    @Override
    protected JsonWebToken validateToken(String encodedToken, boolean ignoreAudience) {
        // Keycloak checks signature, aud, expiry, and iss when the profile names the issuer (getConfig().getIssuer()).
        JsonWebToken token = super.validateToken(encodedToken, ignoreAudience);
        SmartConfiguration configuration = getConfig().discovered();
        FhirBaseUrl base = getConfig().fhirBaseUrl().orElse(null);
        if (configuration == null || base == null) {
            throw new IdentityBrokerException("tenant endpoints unknown while validating the id_token");
        }
        String expected = getConfig().profile().expectedIssuer(getConfig(), configuration);
        if (expected == null && !getConfig().profile().acceptsIssuer(token.getIssuer(), getConfig(), configuration, base)) {
            throw new IdentityBrokerException("id_token issuer is not tenant " + tenantId() + "'s OIDC issuer");
        }
        if (expected != null && !expected.equals(token.getIssuer())) {
            throw new IdentityBrokerException("id_token issuer is not tenant " + tenantId() + "'s issuer");
        }
        if (token.getIat() == null || token.getExp() == null) {
            throw new IdentityBrokerException("id_token lacks iat or exp");
        }
        return token;
    }

    @Override
    protected KeyWrapper getIdentityProviderKeyWrapper(JWSInput jws) {
        String jwksUrl = getConfig().getJwksUrl();
        if (jwksUrl == null) {
            jwksUrl = services.discovery().jwksFromIssuer(session, getConfig(), jws);
            if (jwksUrl == null) {
                return null;
            }
        }
        String alg = jws.getHeader().getRawAlgorithm();
        return services.jwks().key(session, getConfig(), jwksUrl, jws.getHeader().getKeyId(), alg,
                getConfig().profile().verifiesTokensWithoutKid());
    }

    // ---------------------------------------------------------------- client authentication

    /**
     * The private_key_jwt assertion: {@code iss} = {@code sub} = client id, {@code aud} = the discovered token endpoint, a
     * unique {@code jti}, {@code exp} at most five minutes ahead (docs/ehr/smart-app-launch.md §7). Keycloak's default
     * would use the realm's access-code lifespan, which admins may set longer.
     */
    @Override
    protected JsonWebToken generateToken() {
        return ClientAssertions.claims(getConfig().getClientId(), getConfig().getTokenUrl(), services.settings().assertionLifetimeSeconds());
    }

    /** A refresh_token grant for this tenant, with the configured client authentication. */
    public SimpleHttpRequest refreshRequest(String refreshToken) {
        return getRefreshTokenRequest(session, refreshToken, getConfig().getClientId(), null);
    }

    /**
     * A code exchange with a code no server issued, authenticated as configured: the token endpoint answers
     * {@code invalid_grant} when it accepted the client's credentials and {@code invalid_client} when it did not. The
     * connection check's probe; nothing can be granted by it.
     */
    public SimpleHttpRequest credentialsProbe(String redirectUri) {
        String random = org.keycloak.common.util.SecretGenerator.getInstance().randomString(32);
        return withTimeouts(authenticateTokenRequest(SimpleHttp.create(session).doPost(getConfig().getTokenUrl())
                .header("Accept", "application/json")
                .param(OAuth2Constants.GRANT_TYPE, OAuth2Constants.AUTHORIZATION_CODE)
                .param(OAuth2Constants.CODE, "connection-check-" + random)
                .param(OAuth2Constants.REDIRECT_URI, redirectUri)
                .param(OAuth2Constants.CODE_VERIFIER, random + random)));
    }

    /** An RFC 7009 revocation request for a refresh token, with the configured client authentication. */
    public SimpleHttpRequest revocationRequest(String revocationEndpoint, String refreshToken) {
        return authenticateTokenRequest(SimpleHttp.create(session).doPost(revocationEndpoint)
                .param("token", refreshToken)
                .param("token_type_hint", "refresh_token"));
    }

    // ---------------------------------------------------------------- logout

    /**
     * Keycloak ended the clinician's session (admin, back channel or expiry handling): revoke the EHR refresh tokens of
     * its launches. EHRs implement no OIDC logout for apps (docs/ehr/cerner.md §5), so nothing else is sent.
     */
    @Override
    public void backchannelLogout(KeycloakSession session, UserSessionModel userSession, UriInfo uriInfo, RealmModel realm) {
        new LaunchTokens(session).revokeAll(userSession, this);
    }

    @Override
    public Response keycloakInitiatedBrowserLogout(KeycloakSession session, UserSessionModel userSession, UriInfo uriInfo, RealmModel realm) {
        new LaunchTokens(session).revokeAll(userSession, this);
        return null;
    }

    // ---------------------------------------------------------------- what this provider does not do

    @Override
    public void authenticationFinished(AuthenticationSessionModel authSession, BrokeredIdentityContext context) {
        // Nothing goes into user-session notes: they are shared by every launch of the browser session
        // (docs/launch-isolation.md, experiment 1). The launch was staged per launch by SmartCallbackEndpoint.
    }

    @Override
    protected boolean supportsExternalExchange() {
        // EHR access tokens are opaque and must not become Keycloak sessions through token exchange.
        return false;
    }

    @Override
    public boolean isType(KeycloakSession session, IdentityProviderType type) {
        // No client assertions, JWT authorization grants or external token exchange with the EHR's keys.
        return type == IdentityProviderType.ANY || type == IdentityProviderType.USER_AUTHENTICATION;
    }

    @Override
    public boolean reloadKeys() {
        // The EHR's keys live in UpstreamJwks, which looks again on an unknown kid by itself.
        return false;
    }
}
