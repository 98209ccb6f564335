package dev.smartbroker.smart.context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.token.UpstreamTokens;
import org.jboss.logging.Logger;
import org.keycloak.common.util.SecretGenerator;
import org.keycloak.common.util.Time;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.SingleUseObjectProvider;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.util.JsonSerialization;

/**
 * Where each launch's data lives, and how an authorization request is bound to its launch.
 *
 * <p>Per launch, two sealed notes in the app's client session: {@code smart.launch.<id>} (context) and
 * {@code smart.tokens.<id>} (Cerner's tokens). Keyed by launch id, so two launches of one app in one
 * browser never overwrite each other (plain session notes do: see docs/architecture.md, step 6). They are written
 * as auth-session client notes at the Cerner callback; Keycloak copies those into the client session when it
 * issues the code (TokenManager.attachAuthenticationSession).
 *
 * <p>Which launch a token belongs to is decided once, at code exchange, by a single-use record keyed by the
 * app's PKCE challenge for this very authorization request, and then carried in the tokens' {@code smart_launch}
 * claim; never by "the latest launch of this session" (docs/launch-isolation.md, experiment 4).
 */
public final class LaunchStore {

    private static final Logger LOG = Logger.getLogger(LaunchStore.class);

    static final String TOKENS_PREFIX = "smart.tokens.";
    /** Older launches of the same app in one session are dropped beyond this many. */
    static final int MAX_LAUNCHES_PER_CLIENT_SESSION = 20;
    /** The binding must outlive the remaining login steps and the code lifetime. */
    static final long BINDING_LIFESPAN_SECONDS = 600;
    private static final String BINDING_LAUNCH = "launch";
    private static final String BINDING_CLIENT = "client";
    private static final String BINDING_CONFLICT = "conflict";
    private static final String CLAIM_SUFFIX = ".claimed";
    private static final String CONFLICT_SUFFIX = ".conflict";
    private static final char ID_SEPARATOR = '-';
    private static final int ORDERED_PREFIX_LENGTH = 11;

    private LaunchStore() {
    }

    // ---------------------------------------------------------------- at the Cerner callback

    /**
     * Stages the launch on the authorization request that is being completed, and binds the request to it. When the
     * clinician already has a session of this app in this browser, its oldest launches make room for this one here,
     * in the write Keycloak makes anyway when it attaches the login to that client session; pruning at code exchange
     * instead would add a session write (a database write with persistent sessions) to every exchange.
     */
    public static void stage(KeycloakSession session, AuthenticationSessionModel authSession, UserModel clinician, LaunchContext context,
                             UpstreamTokens tokens) {
        RealmModel realm = authSession.getRealm();
        ClientModel client = authSession.getClient();
        String launchId = context.launchId();
        makeRoom(session, authSession, clinician);
        authSession.setClientNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId,
                SessionSealer.seal(session, realm, json(context), aad(realm, client, launchId, "context")));
        authSession.setClientNote(TOKENS_PREFIX + launchId,
                SessionSealer.seal(session, realm, json(tokens), aad(realm, client, launchId, "tokens")));
        String challenge = authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM);
        if (challenge == null || challenge.isBlank()) {
            // The launch authenticator refuses launches without PKCE; this is defence in depth.
            throw new IllegalStateException("authorization request without PKCE challenge cannot be bound to a launch");
        }
        SingleUseObjectProvider records = session.singleUseObjects();
        String key = Smart.RECORD_BINDING_PREFIX + challenge;
        // Atomic, also across nodes: of two launches staged at once with one challenge, exactly one claims it.
        if (records.putIfAbsent(key + CLAIM_SUFFIX, BINDING_LIFESPAN_SECONDS)) {
            records.put(key, BINDING_LIFESPAN_SECONDS, Map.of(BINDING_LAUNCH, launchId, BINDING_CLIENT, client.getId()));
        } else {
            // The same challenge on two launches: neither may receive context, since neither can be told apart. The
            // conflict has a key of its own, so the first launch's binding, written later or not, cannot hide it.
            LOG.warnf("Client %s reused a PKCE challenge across launches; the launch context is withheld", client.getClientId());
            records.put(key + CONFLICT_SUFFIX, BINDING_LIFESPAN_SECONDS, Map.of(BINDING_CONFLICT, "true"));
        }
    }

    // ---------------------------------------------------------------- at token issue

    /** The launch bound to the authorization request whose PKCE challenge this is, if it was issued to this client. */
    public static Optional<String> boundLaunch(KeycloakSession session, ClientModel client, String codeChallenge) {
        if (codeChallenge == null) {
            return Optional.empty();
        }
        String key = Smart.RECORD_BINDING_PREFIX + codeChallenge;
        Map<String, String> record = session.singleUseObjects().get(key);
        if (record == null || record.containsKey(BINDING_CONFLICT) || session.singleUseObjects().contains(key + CONFLICT_SUFFIX)
                || !client.getId().equals(record.get(BINDING_CLIENT))) {
            return Optional.empty();
        }
        return Optional.ofNullable(record.get(BINDING_LAUNCH));
    }

    /** Drops the binding once the code was exchanged; the launch id then travels in the tokens. */
    public static void releaseBinding(KeycloakSession session, String codeChallenge) {
        if (codeChallenge != null) {
            session.singleUseObjects().remove(Smart.RECORD_BINDING_PREFIX + codeChallenge);
            session.singleUseObjects().remove(Smart.RECORD_BINDING_PREFIX + codeChallenge + CLAIM_SUFFIX);
        }
    }

    /** The context of a launch of this client session, if the launch is still known. */
    public static Optional<LaunchContext> context(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        if (clientSession == null || launchId == null) {
            return Optional.empty();
        }
        RealmModel realm = clientSession.getRealm();
        return SessionSealer.open(session, realm, clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId),
                        aad(realm, clientSession.getClient(), launchId, "context"))
                .flatMap(json -> read(json, LaunchContext.class))
                .filter(c -> launchId.equals(c.launchId()));
    }

    public static Optional<UpstreamTokens> tokens(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        RealmModel realm = clientSession.getRealm();
        return SessionSealer.open(session, realm, clientSession.getNote(TOKENS_PREFIX + launchId),
                        aad(realm, clientSession.getClient(), launchId, "tokens"))
                .flatMap(json -> read(json, UpstreamTokens.class));
    }

    public static void storeTokens(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId, UpstreamTokens tokens) {
        RealmModel realm = clientSession.getRealm();
        clientSession.setNote(TOKENS_PREFIX + launchId,
                SessionSealer.seal(session, realm, json(tokens), aad(realm, clientSession.getClient(), launchId, "tokens")));
    }

    public static void forgetTokens(AuthenticatedClientSessionModel clientSession, String launchId) {
        clientSession.removeNote(TOKENS_PREFIX + launchId);
    }

    /** Launch ids staged in this client session. */
    public static List<String> launchIds(AuthenticatedClientSessionModel clientSession) {
        List<String> ids = new ArrayList<>();
        clientSession.getNotes().keySet().forEach(k -> {
            if (k.startsWith(Smart.NOTE_LAUNCH_RECORD_PREFIX)) {
                ids.add(k.substring(Smart.NOTE_LAUNCH_RECORD_PREFIX.length()));
            }
        });
        return ids;
    }

    /**
     * A new launch id: the time it was made (milliseconds, fixed-width hex) and 16 random characters. Ids of one client
     * session therefore sort in launch order, so pruning needs no clock of a second's resolution and opens nothing.
     */
    public static String newLaunchId() {
        return String.format("%011x", Time.currentTimeMillis()) + ID_SEPARATOR + SecretGenerator.getInstance().randomString(16);
    }

    /** The client session of this app in the clinician's own session that the login will be attached to, pruned. */
    private static void makeRoom(KeycloakSession session, AuthenticationSessionModel authSession, UserModel clinician) {
        UserSessionModel own = session.sessions().getUserSession(authSession.getRealm(), authSession.getParentSession().getId());
        if (own == null || own.getUser() == null || !own.getUser().getId().equals(clinician.getId())) {
            return;
        }
        AuthenticatedClientSessionModel clientSession = own.getAuthenticatedClientSessionByClient(authSession.getClient().getId());
        if (clientSession != null) {
            prune(clientSession, MAX_LAUNCHES_PER_CLIENT_SESSION - 1);
        }
    }

    /**
     * Keeps at most {@code keep} launches of a client session, dropping the oldest (ids made before launch ids carried
     * their time count as the oldest); writes nothing when there are no more than that.
     */
    static void prune(AuthenticatedClientSessionModel clientSession, int keep) {
        List<String> ids = launchIds(clientSession);
        if (ids.size() <= keep) {
            return;
        }
        ids.sort(Comparator.comparing((String id) -> id.indexOf(ID_SEPARATOR) == ORDERED_PREFIX_LENGTH).thenComparing(id -> id));
        for (String id : ids.subList(0, ids.size() - keep)) {
            clientSession.removeNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + id);
            clientSession.removeNote(TOKENS_PREFIX + id);
        }
    }

    private static String aad(RealmModel realm, ClientModel client, String launchId, String kind) {
        return realm.getId() + "|" + client.getId() + "|" + launchId + "|" + kind;
    }

    private static String json(Object value) {
        try {
            return JsonSerialization.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException("Could not serialise launch data", e);
        }
    }

    private static <T> Optional<T> read(String json, Class<T> type) {
        try {
            return Optional.ofNullable(JsonSerialization.readValue(json, type));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
