package dev.smartbroker.itclock;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.regex.Pattern;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.common.util.Time;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.services.managers.AppAuthManager;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.timer.TimerProvider;

/**
 * TEST ONLY. {@code GET|PUT /realms/master/it-clock/offset} with {@code {"seconds": n}}: reads or sets the offset of
 * Keycloak's clock ({@link Time}), which every expiry decision of Keycloak and of the broker reads. The offset is
 * process-wide (one node; the integration tests run one) and lasts until set again or the server stops.
 * {@code POST /realms/master/it-clock/tasks/{name}} runs one of the server's scheduled tasks now (such as the deletion
 * of expired launches), so that a test which moved the clock need not wait for the task's interval.
 *
 * <p>Two guards, both required: the caller is on loopback (the tests run on the server's machine; a proxy there would
 * still need the second guard), and it presents an access token of a user holding the master realm's {@code admin}
 * role (who can already do anything to the server). Other realms answer 404, as if the resource did not exist.
 */
public final class ItClockResource implements RealmResourceProvider {

    /** Tests shift by seconds to minutes; an hour is far beyond what any of them needs. */
    static final int MAX_OFFSET_SECONDS = 3600;
    private static final Logger LOG = Logger.getLogger(ItClockResource.class);
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    private final KeycloakSession session;

    ItClockResource(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public Object getResource() {
        return this;
    }

    @Override
    public void close() {
    }

    @GET
    @Path("offset")
    @Produces(MediaType.APPLICATION_JSON)
    public Response offset() {
        Response refused = refusal();
        return refused != null ? refused : seconds(Time.getOffset());
    }

    @PUT
    @Path("offset")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response setOffset(Map<String, Object> body) {
        Response refused = refusal();
        if (refused != null) {
            return refused;
        }
        Object value = body == null ? null : body.get("seconds");
        if (!(value instanceof Integer seconds) || Math.abs(seconds) > MAX_OFFSET_SECONDS) {
            return error(Response.Status.BAD_REQUEST, "invalid_request",
                    "Expected {\"seconds\": n} with a whole n between -" + MAX_OFFSET_SECONDS + " and " + MAX_OFFSET_SECONDS + ".");
        }
        int previous = Time.getOffset();
        Time.setOffset(seconds);
        LOG.infof("Clock offset set to %d s (was %d s)", seconds, previous);
        return seconds(seconds);
    }

    @POST
    @Path("tasks/{name}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response runTask(@PathParam("name") String name) {
        Response refused = refusal();
        if (refused != null) {
            return refused;
        }
        TimerProvider.TimerTaskContext task = session.getProvider(TimerProvider.class).getTasks().get(name);
        if (task == null) {
            return error(Response.Status.NOT_FOUND, "not_found", "No scheduled task of that name.");
        }
        // The runner opens a session and transaction of its own, as when the timer runs it.
        task.getRunnable().run();
        LOG.infof("Scheduled task %s run on request", name);
        return Response.ok(Map.of("ran", name), MediaType.APPLICATION_JSON_TYPE).cacheControl(noStore()).build();
    }

    /** Why this request may not use the clock, or null when it may. */
    private Response refusal() {
        RealmModel realm = session.getContext().getRealm();
        if (!Config.getAdminRealm().equals(realm.getName())) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        if (!isLoopback(session.getContext().getConnection().getRemoteAddr())) {
            return error(Response.Status.FORBIDDEN, "access_denied", "Only callers on loopback may shift the clock.");
        }
        AuthenticationManager.AuthResult auth = new AppAuthManager.BearerTokenAuthenticator(session).authenticate();
        if (auth == null) {
            return Response.fromResponse(error(Response.Status.UNAUTHORIZED, "invalid_token",
                    "A master-realm admin's access token is required.")).header("WWW-Authenticate", "Bearer").build();
        }
        RoleModel admin = realm.getRole(AdminRoles.ADMIN);
        if (admin == null || !auth.user().hasRole(admin)) {
            return error(Response.Status.FORBIDDEN, "access_denied", "Only a master-realm admin may shift the clock.");
        }
        return null;
    }

    /** Whether {@code address}, an IP literal, is a loopback address; host names (never resolved here) are not. */
    static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        String literal = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (!IP_LITERAL.matcher(literal).matches()) {
            return false;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Response seconds(int seconds) {
        return Response.ok(Map.of("seconds", seconds), MediaType.APPLICATION_JSON_TYPE).cacheControl(noStore()).build();
    }

    private static Response error(Response.Status status, String error, String description) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).cacheControl(noStore())
                .entity(Map.of("error", error, "error_description", description)).build();
    }

    private static CacheControl noStore() {
        CacheControl cacheControl = new CacheControl();
        cacheControl.setNoStore(true);
        return cacheControl;
    }
}
