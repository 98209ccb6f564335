package dev.smartbroker.cerner;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.ClientModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.utils.AuthorizeClientUtil;

/**
 * One call of {@code POST /realms/{realm}/cerner/system-token}: a Keycloak client, authenticated the way Keycloak
 * authenticates clients at its token endpoint, receives a Cerner system token (SMART Backend Services,
 * docs/ehr/cerner.md §3) for a tenant and scopes its grant allows. Keycloak signs the assertion with a realm key;
 * the private key never leaves Keycloak.
 */
final class SystemTokenEndpoint {

    private static final Logger LOG = Logger.getLogger(SystemTokenEndpoint.class);
    static final String PARAM_TENANT = "tenant";
    /** More than any System app is registered for (Cerner lists some 60 system scopes per SMART version). */
    static final int MAX_SCOPES = 100;
    static final int MAX_SCOPE_CHARS = 4_000;

    private final KeycloakSession session;
    private final CernerIdentityProviderFactory factory;
    private final RealmModel realm;
    private final EventBuilder event;

    SystemTokenEndpoint(KeycloakSession session, CernerIdentityProviderFactory factory) {
        this.session = session;
        this.factory = factory;
        this.realm = session.getContext().getRealm();
        this.event = new EventBuilder(realm, session, session.getContext().getConnection())
                .event(EventType.IDENTITY_PROVIDER_RETRIEVE_TOKEN)
                .detail("smart_api", "system-token");
    }

    Response handle() {
        ClientModel client;
        try {
            client = AuthorizeClientUtil.authorizeClient(session, event, null).getClient();
        } catch (WebApplicationException e) {
            // Keycloak's own invalid_client answer and event.
            return e.getResponse();
        }
        event.client(client);
        if (client.isPublicClient()) {
            return fail(Response.Status.UNAUTHORIZED, "unauthorized_client", "Public clients cannot get Cerner system tokens.");
        }
        MultivaluedMap<String, String> form = session.getContext().getHttpRequest().getDecodedFormParameters();
        String alias = form.getFirst(PARAM_TENANT);
        String scopeParam = form.getFirst(OAuth2Constants.SCOPE);
        if (alias == null || alias.isBlank() || scopeParam == null || scopeParam.isBlank()) {
            return fail(Response.Status.BAD_REQUEST, "invalid_request", "Parameters 'tenant' (the tenant's identity provider alias) and 'scope' are required.");
        }
        event.detail(Details.IDENTITY_PROVIDER, SafeText.bounded(alias)).detail(Details.SCOPE, SafeText.bounded(scopeParam, SafeText.LONG));
        if (scopeParam.length() > MAX_SCOPE_CHARS || scopes(scopeParam).size() > MAX_SCOPES) {
            return fail(Response.Status.BAD_REQUEST, "invalid_scope",
                    "At most " + MAX_SCOPES + " scopes (" + MAX_SCOPE_CHARS + " characters) per request.");
        }
        IdentityProviderModel model = alias.length() > SafeText.SHORT ? null : session.identityProviders().getByAlias(alias);
        if (model == null || !CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId())) {
            return fail(Response.Status.BAD_REQUEST, "unknown_tenant", "No Cerner tenant '" + SafeText.bounded(alias) + "' in this realm.");
        }
        if (!model.isEnabled()) {
            return fail(Response.Status.BAD_REQUEST, "tenant_disabled", "The Cerner tenant '" + alias + "' is disabled.");
        }
        CernerIdentityProvider provider = factory.create(session, model);
        CernerIdentityProviderConfig config = provider.getConfig();
        if (provider.tenantId() != null) {
            event.detail(Smart.DETAIL_TENANT, provider.tenantId());
        }
        Set<String> requested = new TreeSet<>(Arrays.asList(scopeParam.trim().split("\\s+")));
        Set<String> allowed = config.backendServicesGrants().get(client.getClientId());
        if (allowed == null) {
            return fail(Response.Status.FORBIDDEN, "unauthorized_client",
                    "Client '" + client.getClientId() + "' may get no system tokens for tenant '" + alias + "'.");
        }
        Set<String> refused = new LinkedHashSet<>(requested);
        refused.removeAll(allowed);
        if (!refused.isEmpty()) {
            return fail(Response.Status.BAD_REQUEST, "invalid_scope",
                    "Client '" + client.getClientId() + "' is not allowed " + SafeText.bounded(String.join(" ", refused), SafeText.LONG)
                            + " for tenant '" + alias + "'.");
        }
        Optional<String> systemAccount = config.systemAccountClientId();
        if (systemAccount.isEmpty()) {
            return fail(Response.Status.INTERNAL_SERVER_ERROR, "server_error", "Tenant '" + alias + "' has no System Account client id.");
        }

        String key = realm.getId() + "|" + alias + "|" + String.join(" ", requested);
        long now = CernerIdentityProvider.now();
        boolean cache = config.isSystemTokenCacheEnabled();
        try {
            SystemTokenCache.Entry token;
            Optional<SystemTokenCache.Entry> cached = cache ? factory.services().systemTokens().fresh(key, now) : Optional.empty();
            if (cached.isPresent()) {
                token = cached.get();
            } else if (cache) {
                token = factory.services().coordinator().once("system|" + key, config.readTimeoutMillis() + 5_000L, () -> {
                    Optional<SystemTokenCache.Entry> again = factory.services().systemTokens().fresh(key, CernerIdentityProvider.now());
                    if (again.isPresent()) {
                        return again.get();
                    }
                    try {
                        SystemTokenCache.Entry fetched = fetch(provider, systemAccount.get(), requested);
                        factory.services().systemTokens().put(key, fetched);
                        return fetched;
                    } catch (CernerException e) {
                        throw new RefreshCoordinator.CernerCallFailure(e);
                    }
                });
            } else {
                token = fetch(provider, systemAccount.get(), requested);
            }
            return Response.ok(body(token, provider), MediaType.APPLICATION_JSON_TYPE)
                    .cacheControl(ApiErrors.noStore()).header("Pragma", "no-cache").build();
        } catch (CernerException e) {
            LOG.warnf("System token for client %s from IdP %s failed (%s): %s", client.getClientId(), alias, e.kind(), e.getMessage());
            if (e.cernerError() != null) {
                event.detail(Smart.DETAIL_CERNER_ERROR, e.cernerError());
            }
            String urn = LaunchErrors.cernerErrorUrn(e.errorUri());
            if (urn != null) {
                event.detail(Smart.DETAIL_CERNER_ERROR_URN, urn);
            }
            return switch (e.kind()) {
                case INVALID_CLIENT -> fail(Response.Status.BAD_GATEWAY, "cerner_invalid_client",
                        "Cerner rejected the client assertion of System Account '" + systemAccount.get() + "': the realm's JWKS URL ("
                                + CernerRealmResource.jwksUrl(session, realm) + ") may not be registered in Cerner Central, or Cerner"
                                + " has not fetched the current key yet.");
                case UNREACHABLE, TIMEOUT -> Response.fromResponse(fail(Response.Status.SERVICE_UNAVAILABLE, "temporarily_unavailable",
                        "Cerner did not answer in time.")).header("Retry-After", "5").build();
                case DISCOVERY -> fail(Response.Status.BAD_GATEWAY, "cerner_error", "Cerner's endpoints for tenant '" + alias + "' could not be read.");
                default -> fail(Response.Status.BAD_GATEWAY, "cerner_error",
                        "Cerner refused the system token request" + (e.cernerError() == null ? "." : " (" + SafeText.bounded(e.cernerError()) + ")."));
            };
        } catch (IllegalStateException e) {
            LOG.warnf("System token for client %s from IdP %s could not be signed: %s", client.getClientId(), alias, e.getMessage());
            return fail(Response.Status.INTERNAL_SERVER_ERROR, "server_error", e.getMessage());
        }
    }

    /** client_credentials with a JWT assertion at the tenant's discovered token endpoint. */
    private SystemTokenCache.Entry fetch(CernerIdentityProvider provider, String systemAccount, Set<String> scopes) throws CernerException {
        CernerIdentityProviderConfig config = provider.getConfig();
        SmartConfiguration configuration = provider.discover();
        String assertion = ClientAssertions.sign(session, config.assertionAlgorithm(),
                ClientAssertions.claims(systemAccount, configuration.tokenEndpoint(), factory.services().settings().assertionLifetimeSeconds()));
        SimpleHttpRequest request = CernerHttp.client(session, config).doPost(configuration.tokenEndpoint())
                .header("Accept", "application/json")
                .param(OAuth2Constants.GRANT_TYPE, OAuth2Constants.CLIENT_CREDENTIALS)
                .param(OAuth2Constants.SCOPE, String.join(" ", scopes))
                .param(OAuth2Constants.CLIENT_ASSERTION_TYPE, OAuth2Constants.CLIENT_ASSERTION_TYPE_JWT)
                .param(OAuth2Constants.CLIENT_ASSERTION, assertion);
        try (SimpleHttpResponse response = request.asResponse()) {
            int status = response.getStatus();
            String body = response.asString();
            if (status < 200 || status >= 300) {
                throw CernerTokenResponse.error(status, body, CernerException.Kind.TOKEN_ERROR);
            }
            CernerTokenResponse token = CernerTokenResponse.parse(body);
            long now = CernerIdentityProvider.now();
            long lifetime = Math.max(0, token.expiresIn());
            event.detail("smart_granted_scope", token.scope()).success();
            LOG.debugf("Obtained a Cerner system token for IdP %s, scope %s", config.getAlias(), token.scope());
            return new SystemTokenCache.Entry(token.accessToken(), token.scope() != null ? token.scope() : String.join(" ", scopes),
                    now + lifetime, lifetime);
        } catch (IOException e) {
            throw CernerHttp.classify(e, request.getUrl());
        }
    }

    private static Map<String, Object> body(SystemTokenCache.Entry token, CernerIdentityProvider provider) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", token.accessToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", Math.max(0, token.expiresAt() - CernerIdentityProvider.now()));
        body.put("scope", token.scope());
        body.put(Smart.TENANT, provider.tenantId());
        body.put(Smart.CLAIM_FHIR_BASE, provider.getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse(null));
        return body;
    }

    private Response fail(Response.Status status, String error, String description) {
        event.detail(Details.REASON, description).error(error);
        return ApiErrors.error(status, error, description);
    }

    static List<String> scopes(String value) {
        return value == null ? List.of() : Arrays.stream(value.trim().split("\\s+")).filter(s -> !s.isBlank()).toList();
    }
}
