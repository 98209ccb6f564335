package dev.smartbroker.smart.launch;

import java.net.URI;
import java.util.Optional;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.page.LaunchErrors;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.Tenants;
import org.jboss.logging.Logger;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.util.ResolveRelative;

/**
 * The SMART Launch URI admins register at the EHR (Cerner: in Code Console): {@code /realms/{realm}/smart-launch/{client_id}}.
 *
 * <p>The EHR (Cerner: PowerChart) opens it with {@code iss} and {@code launch}. It checks {@code iss} against the configured tenants
 * without any network call, parks the launch for the app and sends the browser, in the same window, to the app's
 * Home URL. The app then signs in with its ordinary OIDC code flow; the launch authenticator picks the launch up
 * there, so the round trip to the EHR happens inside the app's own authorization request and the app receives only
 * the code it asked for.
 */
public final class SmartLaunchResource {

    private static final Logger LOG = Logger.getLogger(SmartLaunchResource.class);
    private static final int MAX_LOGGED_ISS = 200;
    /** Keycloak's default limit for an extra authorization parameter, which the launch value becomes upstream. */
    static final int MAX_LAUNCH_LENGTH = 2_000;

    private final KeycloakSession session;
    private final long pendingLaunchSeconds;

    SmartLaunchResource(KeycloakSession session, long pendingLaunchSeconds) {
        this.session = session;
        this.pendingLaunchSeconds = pendingLaunchSeconds;
    }

    @GET
    public Response withoutApp(@QueryParam(Smart.ISS) String iss) {
        RealmModel realm = session.getContext().getRealm();
        EventBuilder event = event(realm).detail(Details.REASON, "Launch URI without app");
        return noStore(LaunchErrors.page(session, null, event, LaunchErrors.Problem.UNKNOWN_APP, "Launch URI names no app", null, null, ""));
    }

    @GET
    @Path("{clientId}")
    public Response launch(@PathParam("clientId") String clientId, @QueryParam(Smart.ISS) String iss,
                           @QueryParam(Smart.LAUNCH) String launch) {
        RealmModel realm = session.getContext().getRealm();
        // Events are recorded for refusals only; a launch that is parked builds none (it is the hot path).
        Refusal refuse = new Refusal(realm, clientId, iss, null);
        ClientModel client = realm.getClientByClientId(clientId);
        if (client == null || !client.isEnabled()) {
            return refuse.page(LaunchErrors.Problem.UNKNOWN_APP, "no enabled client " + SafeText.bounded(clientId), null, clientId);
        }
        if (iss == null || iss.isBlank() || launch == null || launch.isBlank()) {
            return refuse.page(LaunchErrors.Problem.MISSING_PARAMETERS,
                    iss == null || iss.isBlank() ? "iss missing" : "launch missing", null);
        }
        if (launch.length() > MAX_LAUNCH_LENGTH) {
            // EHR launch values are short opaque ids (Cerner's are UUIDs); Keycloak would drop a longer one on the way.
            return refuse.page(LaunchErrors.Problem.MISSING_PARAMETERS, "launch longer than " + MAX_LAUNCH_LENGTH + " characters", null);
        }
        // Before anything else talks to the network: the iss must be a configured tenant.
        Tenants.Resolution resolution = Tenants.resolve(session, iss, clientId);
        if (resolution.ambiguous()) {
            EventBuilder event = refuse.event().detail("smart_tenants", String.join(",", resolution.conflicting()));
            return refuse.page(event, LaunchErrors.Problem.TENANT_AMBIGUOUS, "several tenants claim this iss for this app", null, null);
        }
        Optional<Tenants.Tenant> tenant = resolution.tenant();
        if (tenant.isEmpty()) {
            LOG.warnf("Refused a launch of client %s from an iss that matches no SMART tenant of realm %s", clientId, realm.getName());
            return refuse.page(LaunchErrors.Problem.UNKNOWN_TENANT, "iss matches no configured tenant", null);
        }
        Refusal refuseAtTenant = refuse.at(tenant.get());
        if (!tenant.get().enabled()) {
            return refuseAtTenant.page(LaunchErrors.Problem.TENANT_DISABLED, "tenant's identity provider is disabled or for account linking only",
                    Tenants.profile(session, tenant.get().providerId()));
        }
        if (!LaunchableClients.isLaunchable(client)) {
            return refuseAtTenant.page(LaunchErrors.Problem.APP_NOT_LAUNCHABLE, "client has no SMART launch context scope", null, clientId);
        }
        String landing = client.getBaseUrl() == null ? null
                : ResolveRelative.resolveRelativeUri(session, client.getRootUrl(), client.getBaseUrl());
        if (landing == null || landing.isBlank() || !isWebUrl(landing)) {
            return refuseAtTenant.page(LaunchErrors.Problem.APP_NOT_LAUNCHABLE, "client has no Home URL to land on", null, clientId);
        }

        int maxAge = (int) pendingLaunchSeconds;
        Optional<String> previous = PendingLaunches.handleFromCookie(session, client);
        boolean contested = previous.isPresent() && PendingLaunches.peek(session, previous.get()).isPresent();
        if (contested) {
            // A launch of this app is still waiting in this browser: the cookie can no longer tell the two apart.
            LOG.debugf("Second pending launch of client %s in one browser: both reachable by handle only", clientId);
            PendingLaunches.contest(session, previous.get());
        }
        String handle = PendingLaunches.create(session, client, tenant.get().alias(), iss, launch, pendingLaunchSeconds, contested);
        URI target = UriBuilder.fromUri(landing).queryParam(LaunchParameters.HANDLE, handle).build();
        LOG.debugf("Launch of client %s from tenant %s parked; landing on the app", clientId, tenant.get().tenantId());
        return Response.seeOther(target)
                .cookie(PendingLaunches.cookie(session, realm, client, handle, maxAge))
                .cacheControl(noStoreControl())
                .build();
    }

    /** A refused launch: an event with what was known about the launch when it was refused, and a page never cached. */
    private final class Refusal {

        private final RealmModel realm;
        private final String clientId;
        private final String iss;
        private final Tenants.Tenant tenant;

        Refusal(RealmModel realm, String clientId, String iss, Tenants.Tenant tenant) {
            this.realm = realm;
            this.clientId = clientId;
            this.iss = iss;
            this.tenant = tenant;
        }

        Refusal at(Tenants.Tenant matched) {
            return new Refusal(realm, clientId, iss, matched);
        }

        EventBuilder event() {
            EventBuilder event = SmartLaunchResource.this.event(realm).client(SafeText.bounded(clientId));
            if (iss != null) {
                event.detail("smart_iss", SafeText.bounded(iss, MAX_LOGGED_ISS));
            }
            if (tenant != null) {
                event.detail(Details.IDENTITY_PROVIDER, tenant.alias()).detail(Smart.DETAIL_TENANT, tenant.tenantId());
            }
            return event;
        }

        Response page(LaunchErrors.Problem problem, String reason, SmartProfile profile) {
            return page(event(), problem, reason, profile, null);
        }

        Response page(LaunchErrors.Problem problem, String reason, SmartProfile profile, String detail) {
            return page(event(), problem, reason, profile, detail);
        }

        Response page(EventBuilder event, LaunchErrors.Problem problem, String reason, SmartProfile profile, String detail) {
            return noStore(LaunchErrors.page(session, null, event, problem, reason, null, profile, detail));
        }
    }

    private EventBuilder event(RealmModel realm) {
        return new EventBuilder(realm, session, session.getContext().getConnection())
                .event(EventType.LOGIN)
                .detail(Smart.DETAIL_LAUNCH_MODE, "launch_uri");
    }

    private static boolean isWebUrl(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() != null && (uri.getScheme().equals("https") || uri.getScheme().equals("http")) && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Response noStore(Response response) {
        return Response.fromResponse(response).cacheControl(noStoreControl()).build();
    }

    private static CacheControl noStoreControl() {
        CacheControl cc = new CacheControl();
        cc.setNoStore(true);
        cc.setNoCache(true);
        return cc;
    }
}
