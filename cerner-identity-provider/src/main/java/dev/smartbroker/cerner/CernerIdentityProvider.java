package dev.smartbroker.cerner;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.broker.oidc.OIDCIdentityProvider;
import org.keycloak.broker.provider.AuthenticationRequest;
import org.keycloak.broker.provider.BrokeredIdentityContext;
import org.keycloak.broker.provider.IdentityBrokerException;
import org.keycloak.common.util.Time;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.http.simple.SimpleHttp;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.models.IdentityProviderType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.representations.IDToken;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * One Cerner tenant as a Keycloak identity provider: Keycloak's OIDC broker, bent to Cerner's SMART launch.
 *
 * <p>What differs from plain OIDC, and why:
 * <ul>
 *   <li>endpoints come from the tenant's discovery, fetched lazily and cached (never in a constructor);</li>
 *   <li>the authorize request carries {@code launch} and {@code aud} = {@code iss} exactly as PowerChart sent it
 *       (docs/ehr/cerner.md §2.2), and no {@code prompt};</li>
 *   <li>the id_token {@code iss} is checked against Cerner's form, which differs from the discovery issuer
 *       (docs/ehr/cerner.md §2.7), and its keys are refetched within a bounded window on an unknown kid;</li>
 *   <li>the clinician is keyed by tenant and fhirUser, not by {@code sub};</li>
 *   <li>launch context and tokens come from the token response JSON and are kept per launch, sealed
 *       ({@link LaunchStore}); nothing is stored in the federated identity or in user-session notes.</li>
 * </ul>
 */
final class CernerIdentityProvider extends OIDCIdentityProvider {

    private static final Logger LOG = Logger.getLogger(CernerIdentityProvider.class);
    /** Context-data key of the parsed Cerner token response. */
    static final String CONTEXT_TOKEN_RESPONSE = "smart.cernerTokenResponse";
    private static final Set<String> USER_RESOURCE_TYPES = Set.of("Practitioner", "Patient", "Person", "RelatedPerson");

    private final CernerIdentityProviderFactory factory;
    private final CernerServices services;

    CernerIdentityProvider(KeycloakSession session, CernerIdentityProviderConfig config, CernerIdentityProviderFactory factory) {
        super(session, config);
        this.factory = factory;
        this.services = factory.services();
    }

    @Override
    public CernerIdentityProviderConfig getConfig() {
        return (CernerIdentityProviderConfig) super.getConfig();
    }

    KeycloakSession session() {
        return session;
    }

    CernerServices services() {
        return services;
    }

    /** Resolves the tenant's endpoints (cached) and points this instance's config at them. */
    SmartConfiguration discover() throws CernerException {
        SmartConfiguration configuration = services.discovery().get(session, getConfig());
        getConfig().applyDiscovery(configuration);
        return configuration;
    }

    String tenantId() {
        return getConfig().fhirBaseUrl().map(FhirBaseUrl::tenantId).orElse(null);
    }

    /**
     * {@code errorUri} when it may be shown as the EHR's "more information" link: a page on the tenant's authorization
     * server or on a trusted Cerner authorization host; else null.
     */
    String moreInformationLink(String errorUri) {
        if (errorUri == null) {
            return null;
        }
        Set<String> hosts = new java.util.HashSet<>(services.settings().trustedAuthorizationHosts());
        try {
            java.net.URI authorize = java.net.URI.create(discover().authorizationEndpoint());
            hosts.add(authorize.getPort() == -1 ? authorize.getHost().toLowerCase(Locale.ROOT)
                    : authorize.getHost().toLowerCase(Locale.ROOT) + ":" + authorize.getPort());
        } catch (CernerException | RuntimeException e) {
            // Without the tenant's endpoints only the trusted hosts qualify.
        }
        return LaunchErrors.trustedLink(errorUri, hosts, !getConfig().isProduction());
    }

    EventBuilder event(RealmModel realm, EventType type) {
        EventBuilder event = new EventBuilder(realm, session, session.getContext().getConnection()).event(type)
                .detail(Details.IDENTITY_PROVIDER, getConfig().getAlias())
                .detail(Smart.DETAIL_ENVIRONMENT, getConfig().environment());
        String tenant = tenantId();
        if (tenant != null) {
            event.detail(Smart.DETAIL_TENANT, tenant);
        }
        return event;
    }

    // ---------------------------------------------------------------- authorize

    @Override
    public Response performLogin(AuthenticationRequest request) {
        AuthenticationSessionModel authSession = request.getAuthenticationSession();
        EventBuilder event = event(request.getRealm(), EventType.IDENTITY_PROVIDER_LOGIN).client(authSession.getClient());
        String alias = authSession.getClientNote(Smart.NOTE_IDP_ALIAS);
        if (authSession.getClientNote(Smart.NOTE_LAUNCH) == null || authSession.getClientNote(Smart.NOTE_ISS) == null
                || !getConfig().getAlias().equals(alias)) {
            // Cerner's provider persona wants an EHR launch (docs/ehr/cerner.md §2.9): without one it would answer
            // launch:code-required after the clinician typed a password. Say so before leaving.
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.LAUNCH_REQUIRED,
                    "login through the Cerner provider without an EHR launch", null);
        }
        try {
            discover();
        } catch (CernerException e) {
            LOG.warnf("Discovery for Cerner IdP %s failed: %s", getConfig().getAlias(), e.getMessage());
            return LaunchErrors.page(session, authSession, event, LaunchErrors.Problem.of(e.kind()), e.getMessage(), null);
        }
        LOG.debugf("Sending launch of client %s to Cerner tenant %s (IdP %s)", authSession.getClient().getClientId(),
                tenantId(), getConfig().getAlias());
        return super.performLogin(request);
    }

    @Override
    protected UriBuilder createAuthorizationUrl(AuthenticationRequest request) {
        AuthenticationSessionModel authSession = request.getAuthenticationSession();
        UriBuilder builder = super.createAuthorizationUrl(request);
        // Cerner documents no prompt handling; forwarding an app's prompt=login would force a second Cerner login.
        builder.replaceQueryParam(OAuth2Constants.PROMPT);
        // aud is required (docs/ehr/cerner.md §2.2): the tenant's FHIR base as configured, in canonical form. The iss
        // as received only matched it after canonicalisation (case, default port, trailing slash).
        builder.queryParam(Smart.AUD, getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElseThrow());
        builder.queryParam(Smart.LAUNCH, authSession.getClientNote(Smart.NOTE_LAUNCH));
        return builder;
    }

    // ---------------------------------------------------------------- callback

    @Override
    public Object callback(RealmModel realm, AuthenticationCallback callback, EventBuilder event) {
        return new CernerEndpoint(this, callback, realm, event);
    }

    /** Keycloak's code-exchange request (redirect_uri, PKCE verifier, client authentication), reused as is. */
    SimpleHttpRequest codeExchangeRequest(AuthenticationCallback callback, RealmModel realm, EventBuilder event, String code) {
        return new Endpoint(callback, realm, event, this).generateTokenRequest(code);
    }

    /** The same request with the tenant's timeouts. */
    SimpleHttpRequest withTimeouts(SimpleHttpRequest request) {
        SimpleHttpRequest timed = CernerHttp.client(session, getConfig()).doPost(request.getUrl());
        if (request.getHeaders() != null) {
            request.getHeaders().forEach(timed::header);
        }
        if (request.getParams() != null) {
            request.getParams().forEach(timed::param);
        }
        return timed.header("Accept", "application/json");
    }

    @Override
    public BrokeredIdentityContext getFederatedIdentity(String response) {
        CernerTokenResponse tokenResponse;
        try {
            tokenResponse = CernerTokenResponse.parse(response);
        } catch (CernerException e) {
            throw new IdentityBrokerException(e.getMessage());
        }
        if (tokenResponse.idToken() == null) {
            throw new IdentityBrokerException("Cerner returned no id_token: 'openid fhirUser' must be registered and granted");
        }
        BrokeredIdentityContext identity = super.getFederatedIdentity(response);
        JsonWebToken idToken = (JsonWebToken) identity.getContextData().get(VALIDATED_ID_TOKEN);

        String fhirUser = fhirUser(idToken, tokenResponse);
        int slash = fhirUser.lastIndexOf('/');
        int typeSlash = slash > 0 ? fhirUser.lastIndexOf('/', slash - 1) : -1;
        String resourceType = typeSlash >= 0 ? fhirUser.substring(typeSlash + 1, slash) : "";
        String resourceId = slash >= 0 ? fhirUser.substring(slash + 1) : "";
        if (!USER_RESOURCE_TYPES.contains(resourceType) || resourceId.isBlank()) {
            throw new IdentityBrokerException("fhirUser is not a Practitioner, Patient, Person or RelatedPerson reference");
        }
        // The clinician is a resource of this tenant: ids mean nothing under another FHIR base (docs/ehr/cerner.md §1.1).
        if (typeSlash <= 0 || !FhirBaseUrl.parse(fhirUser.substring(0, typeSlash)).equals(getConfig().fhirBaseUrl())) {
            throw new IdentityBrokerException("fhirUser is not a resource of this tenant's FHIR base");
        }
        String tenant = tenantId();
        // Ids only make sense within their tenant (docs/ehr/cerner.md §1.1): the local user is keyed by both.
        String federatedId = FederatedUsers.federatedId(tenant, resourceType, resourceId);
        identity.setId(federatedId);
        identity.setBrokerUserId(getConfig().getAlias() + "." + federatedId);
        identity.setUsername(FederatedUsers.username(getConfig().getAlias(), resourceType, resourceId));
        nameFromIdToken(identity, idToken);
        if (identity.getFirstName() == null && identity.getLastName() == null && "Practitioner".equals(resourceType)
                && PractitionerNames.scopeAllowsRead(tokenResponse.scope())) {
            nameFromPractitioner(identity, resourceId, tokenResponse.accessToken());
        }
        identity.getContextData().put(CONTEXT_TOKEN_RESPONSE, tokenResponse);
        identity.getContextData().put(Smart.FHIR_USER, fhirUser);
        return identity;
    }

    private String fhirUser(JsonWebToken idToken, CernerTokenResponse tokenResponse) {
        Object claim = idToken.getOtherClaims().get(Smart.FHIR_USER);
        if (claim == null) {
            // The legacy profile claim carries the same absolute URL (docs/ehr/cerner.md §2.7).
            claim = idToken.getOtherClaims().get(Smart.PROFILE);
        }
        if (claim instanceof String s && !s.isBlank()) {
            return s;
        }
        if (tokenResponse.user() != null) {
            // The token response's user is the bare Practitioner id (docs/ehr/cerner.md §2.5).
            return getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse("") + "/Practitioner/" + tokenResponse.user();
        }
        throw new IdentityBrokerException("Cerner did not identify the clinician: no fhirUser in the id_token");
    }

    /** Cerner's {@code name} reads "Family, Given" (docs/ehr/cerner.md §2.7). */
    private static void nameFromIdToken(BrokeredIdentityContext identity, JsonWebToken idToken) {
        Object given = idToken.getOtherClaims().get(IDToken.GIVEN_NAME);
        Object family = idToken.getOtherClaims().get(IDToken.FAMILY_NAME);
        if (given instanceof String g && family instanceof String f) {
            identity.setFirstName(g);
            identity.setLastName(f);
            return;
        }
        Object name = idToken.getOtherClaims().get(IDToken.NAME);
        if (name instanceof String n && !n.isBlank()) {
            int comma = n.indexOf(',');
            if (comma > 0) {
                identity.setLastName(n.substring(0, comma).trim());
                identity.setFirstName(n.substring(comma + 1).trim());
            } else {
                identity.setFirstName(null);
                identity.setLastName(n.trim());
            }
        }
    }

    /**
     * For an id_token without a name: reads the clinician's Practitioner resource from the tenant's own FHIR base (never
     * from the URL in the token). Bounded by the tenant's timeouts; a failure leaves the user unnamed, never the launch
     * failed.
     */
    private void nameFromPractitioner(BrokeredIdentityContext identity, String practitionerId, String accessToken) {
        String base = getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse(null);
        if (base == null || accessToken == null) {
            return;
        }
        String url = base + "/Practitioner/" + URLEncoder.encode(practitionerId, StandardCharsets.UTF_8);
        try (SimpleHttpResponse response = CernerHttp.client(session, getConfig()).doGet(url)
                .header("Authorization", "Bearer " + accessToken).header("Accept", "application/fhir+json").asResponse()) {
            if (response.getStatus() != 200) {
                LOG.debugf("Practitioner read for IdP %s answered HTTP %d; the user stays unnamed", getConfig().getAlias(), response.getStatus());
                return;
            }
            PractitionerNames.Name name = PractitionerNames.parse(response.asString());
            if (name != null) {
                identity.setFirstName(name.first());
                identity.setLastName(name.last());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("Practitioner read for IdP %s failed (%s); the user stays unnamed", getConfig().getAlias(), e.getClass().getSimpleName());
        }
    }

    // ---------------------------------------------------------------- id_token validation

    @Override
    protected JsonWebToken validateToken(String encodedToken, boolean ignoreAudience) {
        JsonWebToken token = super.validateToken(encodedToken, ignoreAudience);
        SmartConfiguration configuration = getConfig().discovered();
        String tenant = tenantId();
        if (configuration == null || tenant == null) {
            throw new IdentityBrokerException("tenant endpoints unknown while validating the id_token");
        }
        String issuer = token.getIssuer();
        String prefix = configuration.authorizationServerOrigin() + "/tenants/" + tenant + "/oidc/idsps/";
        if (issuer == null || !issuer.startsWith(prefix) || !issuer.endsWith("/")
                || issuer.length() == prefix.length() + 1 || issuer.substring(prefix.length(), issuer.length() - 1).contains("/")) {
            throw new IdentityBrokerException("id_token issuer is not tenant " + tenant + "'s OIDC issuer");
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
        return services.jwks().key(session, getConfig(), jwksUrl, jws.getHeader().getKeyId());
    }

    // ---------------------------------------------------------------- client authentication

    /**
     * The private_key_jwt assertion: {@code iss} = {@code sub} = client id, {@code aud} = the discovered token
     * endpoint, a unique {@code jti}, {@code exp} at most five minutes ahead (HL7 client-confidential-asymmetric).
     * Keycloak's default would use the realm's access-code lifespan, which admins may set longer.
     */
    @Override
    protected JsonWebToken generateToken() {
        return ClientAssertions.claims(getConfig().getClientId(), getConfig().getTokenUrl(),
                services.settings().assertionLifetimeSeconds());
    }

    /** A refresh_token grant for this tenant, with the configured client authentication. */
    SimpleHttpRequest refreshRequest(String refreshToken) {
        return getRefreshTokenRequest(session, refreshToken, getConfig().getClientId(), null);
    }

    /** An RFC 7009 revocation request for a refresh token, with the configured client authentication. */
    SimpleHttpRequest revocationRequest(String revocationEndpoint, String refreshToken) {
        return authenticateTokenRequest(SimpleHttp.create(session).doPost(revocationEndpoint)
                .param("token", refreshToken)
                .param("token_type_hint", "refresh_token"));
    }

    // ---------------------------------------------------------------- logout

    /**
     * Keycloak ended the clinician's session (admin, back channel or expiry handling): revoke the Cerner refresh
     * tokens of its launches. Cerner implements no OIDC logout (docs/ehr/cerner.md §5), so nothing else is sent.
     */
    @Override
    public void backchannelLogout(KeycloakSession session, UserSessionModel userSession, UriInfo uriInfo, RealmModel realm) {
        new CernerTokenService(session, factory).revokeAll(userSession, this);
    }

    @Override
    public Response keycloakInitiatedBrowserLogout(KeycloakSession session, UserSessionModel userSession, UriInfo uriInfo, RealmModel realm) {
        new CernerTokenService(session, factory).revokeAll(userSession, this);
        return null;
    }

    // ---------------------------------------------------------------- what this provider does not do

    @Override
    public void authenticationFinished(AuthenticationSessionModel authSession, BrokeredIdentityContext context) {
        // Nothing goes into user-session notes: they are shared by every launch of the browser session
        // (docs/launch-isolation.md, experiment 1). The launch was staged per launch by CernerEndpoint.
    }

    @Override
    protected boolean supportsExternalExchange() {
        // Cerner access tokens are opaque and must not become Keycloak sessions through token exchange.
        return false;
    }

    @Override
    public boolean isType(KeycloakSession session, IdentityProviderType type) {
        // No client assertions, JWT authorization grants or external token exchange with Cerner's keys.
        return type == IdentityProviderType.ANY || type == IdentityProviderType.USER_AUTHENTICATION;
    }

    @Override
    public boolean reloadKeys() {
        // Cerner's keys live in CernerJwks, which refetches on an unknown kid by itself.
        return false;
    }

    static long now() {
        return Time.currentTimeSeconds();
    }
}
