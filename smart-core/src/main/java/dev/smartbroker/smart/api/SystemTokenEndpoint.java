package dev.smartbroker.smart.api;

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

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.backend.BackendRequests;
import dev.smartbroker.smart.backend.SystemTokenCache;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.idp.SmartIdentityProvider;
import dev.smartbroker.smart.idp.SmartIdentityProviderFactory;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.Tenants;
import dev.smartbroker.smart.token.SingleFlight;
import dev.smartbroker.smart.token.TokenResponse;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.common.util.Time;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.utils.AuthorizeClientUtil;

/**
 * One call of {@code POST /realms/{realm}/smart/system-token}: a Keycloak client, authenticated the way Keycloak
 * authenticates clients at its token endpoint, receives the EHR tenant's system token (SMART Backend Services,
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
    private final String jwksUrl;
    private final RealmModel realm;
    private final EventBuilder event;
    /** The tenant's alias once the request's {@code tenant} was found to be a SMART tenant: a metric tag. */
    private String idp;

    SystemTokenEndpoint(KeycloakSession session, String jwksUrl) {
        this.session = session;
        this.jwksUrl = jwksUrl;
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
            SmartMetrics.of(session).systemToken(session, null, "invalid_client");
            return e.getResponse();
        }
        event.client(client);
        if (client.isPublicClient()) {
            return fail(Response.Status.UNAUTHORIZED, "unauthorized_client", "Public clients cannot get system tokens.");
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
        Optional<SmartTenantConfig> tenant = alias.length() > SafeText.SHORT ? Optional.empty() : Tenants.config(session, alias);
        if (tenant.isEmpty()) {
            return fail(Response.Status.BAD_REQUEST, "unknown_tenant", "No SMART tenant '" + SafeText.bounded(alias) + "' in this realm.");
        }
        idp = tenant.get().getAlias();
        Optional<SmartIdentityProvider> enabled = SmartIdentityProviderFactory.enabledProvider(session, alias);
        if (enabled.isEmpty()) {
            return fail(Response.Status.BAD_REQUEST, "tenant_disabled", "The tenant '" + alias + "' is disabled.");
        }
        SmartIdentityProvider provider = enabled.get();
        SmartTenantConfig config = provider.getConfig();
        String prefix = config.profile().errorPrefix();
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
            return fail(Response.Status.INTERNAL_SERVER_ERROR, "server_error", "Tenant '" + alias + "' has no backend services client id.");
        }

        String key = SystemTokenCache.key(realm.getId(), alias, requested);
        long now = Time.currentTimeSeconds();
        boolean cache = config.isSystemTokenCacheEnabled();
        try {
            SystemTokenCache.Entry token;
            Optional<SystemTokenCache.Entry> cached = cache ? provider.services().systemTokens().fresh(key, now) : Optional.empty();
            if (cached.isPresent()) {
                token = cached.get();
            } else if (cache) {
                token = provider.services().coordinator().once("system|" + key, config.readTimeoutMillis() + 5_000L, () -> {
                    Optional<SystemTokenCache.Entry> again = provider.services().systemTokens().fresh(key, Time.currentTimeSeconds());
                    if (again.isPresent()) {
                        return again.get();
                    }
                    try {
                        SystemTokenCache.Entry fetched = fetch(provider, systemAccount.get(), requested);
                        provider.services().systemTokens().put(key, fetched);
                        return fetched;
                    } catch (UpstreamException e) {
                        throw new SingleFlight.CallFailure(e);
                    }
                });
            } else {
                token = fetch(provider, systemAccount.get(), requested);
            }
            // Fetched: no fresh token when the call came; it made the upstream call or shared a concurrent caller's.
            provider.services().metrics().systemToken(session, idp, cached.isPresent() ? "cached" : "fetched");
            return Response.ok(body(token, provider), MediaType.APPLICATION_JSON_TYPE)
                    .cacheControl(ApiErrors.noStore()).header("Pragma", "no-cache").build();
        } catch (UpstreamException e) {
            LOG.warnf("System token for client %s from IdP %s failed (%s): %s", client.getClientId(), alias, e.kind(), e.getMessage());
            if (e.ehrError() != null) {
                event.detail(prefix + "_error", e.ehrError());
            }
            String ehr = config.profile().ehrName() != null ? config.profile().ehrName() : "The EHR";
            String urn = config.profile().errorCode(e.errorUri());
            if (urn != null) {
                event.detail(prefix + "_error_urn", urn);
            }
            return switch (e.kind()) {
                case INVALID_CLIENT -> fail(Response.Status.BAD_GATEWAY, prefix + "_invalid_client",
                        ehr + " rejected the client assertion of " + config.profile().backendClientTerm() + " '" + systemAccount.get()
                                + "': the realm's JWKS URL (" + jwksUrl + ") may not be registered in "
                                + config.profile().keyRegistrationPlace() + ", or " + ehr + " has not fetched the current key yet.");
                case UNREACHABLE, TIMEOUT -> Response.fromResponse(fail(Response.Status.SERVICE_UNAVAILABLE, "temporarily_unavailable",
                        ehr + " did not answer in time.")).header("Retry-After", "5").build();
                case DISCOVERY -> fail(Response.Status.BAD_GATEWAY, prefix + "_error", "The endpoints of tenant '" + alias + "' could not be read.");
                default -> fail(Response.Status.BAD_GATEWAY, prefix + "_error",
                        "The EHR refused the system token request" + (e.ehrError() == null ? "." : " (" + SafeText.bounded(e.ehrError()) + ")."));
            };
        } catch (IllegalStateException e) {
            LOG.warnf("System token for client %s from IdP %s could not be signed: %s", client.getClientId(), alias, e.getMessage());
            return fail(Response.Status.INTERNAL_SERVER_ERROR, "server_error", e.getMessage());
        }
    }

    /** client_credentials with a JWT assertion at the tenant's discovered token endpoint. */
    private SystemTokenCache.Entry fetch(SmartIdentityProvider provider, String systemAccount, Set<String> scopes) throws UpstreamException {
        SmartTenantConfig config = provider.getConfig();
        SmartConfiguration configuration = provider.discover();
        SimpleHttpRequest request = BackendRequests.clientCredentials(session, config, configuration.tokenEndpoint(), systemAccount,
                scopes, provider.services().settings().assertionLifetimeSeconds());
        TokenResponse token = provider.services().metrics().upstream(session, config.getAlias(),
                SmartMetrics.Upstream.TOKEN_CLIENT_CREDENTIALS, () -> post(request));
        long now = Time.currentTimeSeconds();
        long lifetime = Math.max(0, token.expiresIn());
        event.detail("smart_granted_scope", token.scope()).success();
        LOG.debugf("Obtained an EHR system token for IdP %s, scope %s", config.getAlias(), token.scope());
        return new SystemTokenCache.Entry(token.accessToken(), token.scope() != null ? token.scope() : String.join(" ", scopes),
                now + lifetime, lifetime);
    }

    private static TokenResponse post(SimpleHttpRequest request) throws UpstreamException {
        try (SimpleHttpResponse response = request.asResponse()) {
            int status = response.getStatus();
            String body = response.asString();
            if (status < 200 || status >= 300) {
                throw TokenResponse.error(status, body, UpstreamException.Kind.TOKEN_ERROR);
            }
            return TokenResponse.parse(body);
        } catch (IOException e) {
            throw UpstreamHttp.classify(e, request.getUrl());
        }
    }

    private static Map<String, Object> body(SystemTokenCache.Entry token, SmartIdentityProvider provider) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", token.accessToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", Math.max(0, token.expiresAt() - Time.currentTimeSeconds()));
        body.put("scope", token.scope());
        body.put(Smart.TENANT, provider.tenantId());
        body.put(Smart.CLAIM_FHIR_BASE, provider.getConfig().fhirBaseUrl().map(FhirBaseUrl::value).orElse(null));
        return body;
    }

    private Response fail(Response.Status status, String error, String description) {
        SmartMetrics.of(session).systemToken(session, idp, error);
        event.detail(Details.REASON, description).error(error);
        return ApiErrors.error(status, error, description);
    }

    static List<String> scopes(String value) {
        return value == null ? List.of() : Arrays.stream(value.trim().split("\\s+")).filter(s -> !s.isBlank()).toList();
    }
}
