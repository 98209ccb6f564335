package dev.smartbroker.smart.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.tenant.Tenants;
import dev.smartbroker.smart.token.LaunchTokens;
import dev.smartbroker.smart.token.UpstreamTokens;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.cors.Cors;
import org.keycloak.services.managers.AppAuthManager;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.util.TokenUtil;

/** One call of {@code /realms/{realm}/smart/launch-token}: see {@link SmartRealmResource}. */
final class LaunchTokenEndpoint {

    private static final Logger LOG = Logger.getLogger(LaunchTokenEndpoint.class);

    private final KeycloakSession session;
    private final Set<String> tokenScopes;
    private final RealmModel realm;
    private final EventBuilder event;
    /** The launch's tenant, once known: a metric tag. */
    private String idp;
    private Cors cors = Cors.builder().auth().allowedMethods("GET", "POST");

    LaunchTokenEndpoint(KeycloakSession session, Set<String> tokenScopes) {
        this.session = session;
        this.tokenScopes = tokenScopes;
        this.realm = session.getContext().getRealm();
        this.event = new EventBuilder(realm, session, session.getContext().getConnection())
                .event(EventType.IDENTITY_PROVIDER_RETRIEVE_TOKEN)
                .detail("smart_api", "launch-token");
    }

    Response handle() {
        AuthenticationManager.AuthResult auth = new AppAuthManager.BearerTokenAuthenticator(session).authenticate();
        if (auth == null) {
            return fail(Response.Status.UNAUTHORIZED, "invalid_token", "A valid Keycloak access token of the app is required.");
        }
        cors = cors.checkAllowedOrigins(auth.token());
        event.client(auth.client()).user(auth.user()).session(auth.session());
        if (tokenScopes.stream().noneMatch(scope -> TokenUtil.hasScope(auth.token().getScope(), scope))) {
            return fail(Response.Status.FORBIDDEN, "insufficient_scope", "The app is not allowed EHR tokens: an admin must assign"
                    + " it the '" + SmartRealmResourceProviderFactory.TOKEN_SCOPE + "' client scope.");
        }
        Object claim = auth.token().getOtherClaims().get(Smart.CLAIM_LAUNCH_ID);
        if (!(claim instanceof String launchId) || launchId.isBlank()) {
            return fail(Response.Status.NOT_FOUND, "launch_not_found", "This token does not come from an EHR launch.");
        }
        AuthenticatedClientSessionModel clientSession = auth.session().getAuthenticatedClientSessionByClient(auth.client().getId());
        if (clientSession == null) {
            return fail(Response.Status.NOT_FOUND, "launch_not_found", "The launch of this token is no longer known.");
        }
        try {
            LaunchTokens.Result result = new LaunchTokens(session).launchToken(clientSession, launchId);
            LaunchContext context = result.context();
            SmartMetrics.of(session).launchToken(session, context.idpAlias(), result.refreshed() ? "refreshed" : "cached");
            // Every fetch is an event, refreshed upstream or not, so that the help desk can follow a launch's tokens.
            event.detail(Details.IDENTITY_PROVIDER, context.idpAlias()).detail(Smart.DETAIL_TENANT, context.tenant())
                    .detail("smart_refreshed", String.valueOf(result.refreshed())).success();
            return cors.add(Response.ok(body(result), MediaType.APPLICATION_JSON_TYPE)
                    .cacheControl(ApiErrors.noStore()).header("Pragma", "no-cache"));
        } catch (LaunchTokens.RefusedException e) {
            idp = LaunchStore.context(session, clientSession, launchId).map(LaunchContext::idpAlias).orElse(null);
            return switch (e.refusal()) {
                case LAUNCH_NOT_FOUND -> fail(Response.Status.NOT_FOUND, "launch_not_found", "The launch of this token is no longer known.");
                case RELAUNCH_REQUIRED -> fail(Response.Status.CONFLICT, "relaunch_required",
                        "The EHR no longer accepts this launch's authorization (" + e.getMessage() + "): open the app from the EHR again.");
                case THROTTLED -> cors.add(Response.fromResponse(fail(Response.Status.SERVICE_UNAVAILABLE, "temporarily_unavailable",
                        "The EHR throttles refreshes; retry after " + e.retryAfterSeconds() + " s."))
                        .header("Retry-After", String.valueOf(Math.max(1, e.retryAfterSeconds()))));
            };
        } catch (UpstreamException e) {
            LOG.warnf("EHR token for client %s could not be obtained (%s): %s", auth.client().getClientId(), e.kind(), e.getMessage());
            idp = LaunchStore.context(session, clientSession, launchId).map(LaunchContext::idpAlias).orElse(null);
            String prefix = Optional.ofNullable(idp).flatMap(alias -> Tenants.config(session, alias))
                    .map(config -> config.profile().errorPrefix()).orElse("ehr");
            if (e.ehrError() != null) {
                event.detail(prefix + "_error", e.ehrError());
            }
            return switch (e.kind()) {
                case INVALID_GRANT -> fail(Response.Status.CONFLICT, "relaunch_required",
                        "The EHR refused to refresh this launch's authorization (the clinician's EHR session or the app's"
                                + " authorization ended): open the app from the EHR again.");
                case UNREACHABLE, TIMEOUT -> cors.add(Response.fromResponse(fail(Response.Status.SERVICE_UNAVAILABLE,
                        "temporarily_unavailable", "The EHR did not answer in time.")).header("Retry-After", "5"));
                default -> fail(Response.Status.BAD_GATEWAY, prefix + "_error", "The EHR answered the refresh in an unexpected way.");
            };
        }
    }

    private static Map<String, Object> body(LaunchTokens.Result result) {
        UpstreamTokens tokens = result.tokens();
        LaunchContext context = result.context();
        long now = Time.currentTimeSeconds();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", tokens.accessToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", Math.max(0, tokens.expiresAt() - now));
        body.put("expires_at", tokens.expiresAt());
        body.put("scope", tokens.scope());
        body.put(Smart.CLAIM_FHIR_BASE, context.fhirBaseUrl());
        body.put(Smart.TENANT, context.tenant());
        if (context.patient() != null) {
            body.put(Smart.PATIENT, context.patient());
        }
        if (context.encounter() != null) {
            body.put(Smart.ENCOUNTER, context.encounter());
        }
        return body;
    }

    private Response fail(Response.Status status, String error, String description) {
        SmartMetrics.of(session).launchToken(session, idp, error);
        event.detail(Details.REASON, description).error(error);
        return cors.add(Response.fromResponse(ApiErrors.error(status, error, description)));
    }
}
