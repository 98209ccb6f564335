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
 * <p>Per launch, one sealed record, the launch's context and the EHR's tokens ({@link StoredLaunch}), in a row of its
 * own ({@link LaunchEntity}, table {@code SMART_LAUNCH}), written at the EHR callback and read by launch id. The app's
 * client session keeps a marker note per launch, {@code smart.launch.<id>} = {@value #ROW_MARKER}: which launches the
 * session holds, and in which order they came. Keyed by launch id, so two launches of one app in one browser never
 * overwrite each other (plain session notes do: see docs/architecture.md, step 6). The marker is written as an
 * auth-session client note at the callback; Keycloak copies it into the client session when it issues the code
 * (TokenManager.attachAuthenticationSession). The record is not a note because Keycloak rewrites a client session's
 * notes whole at each write of the session: with the records there, every kept launch was rewritten at every login,
 * code exchange and refresh of the app (docs/architecture.md §8.4).
 *
 * <p>Launches stored before the table still open from their notes: one sealed record, or (older still) two notes, the
 * context under the same key (sealed as kind {@code context}) and the tokens under {@code smart.tokens.<id>}. The first
 * change of their tokens moves them into a row.
 *
 * <p>Which launch a token belongs to is decided once, at code exchange, by a single-use record keyed by the
 * app's PKCE challenge for this very authorization request, and then carried in the tokens' {@code smart_launch}
 * claim; never by "the latest launch of this session" (docs/launch-isolation.md, experiment 4). That record also
 * carries a copy of the sealed launch, so that the code exchange reads no row.
 */
public final class LaunchStore {

    private static final Logger LOG = Logger.getLogger(LaunchStore.class);

    /** Where launches stored before the single record kept their tokens. */
    static final String TOKENS_PREFIX = "smart.tokens.";
    private static final String KIND_RECORD = "launch";
    private static final String KIND_LEGACY_CONTEXT = "context";
    private static final String KIND_LEGACY_TOKENS = "tokens";
    /** The note of a launch whose record is a row of the launch table; never a sealed value, which starts with v. */
    static final String ROW_MARKER = "row";
    /** Launches of one app one session keeps unless configured otherwise; older ones are dropped beyond it. */
    public static final int DEFAULT_LAUNCHES_KEPT = 20;
    /** Past this, a setting is surely a typo (each kept launch is a row, and a marker in every session write). */
    public static final int MAX_LAUNCHES_KEPT = 100;
    /** The binding must outlive the remaining login steps and the code lifetime. */
    static final long BINDING_LIFESPAN_SECONDS = 600;
    private static final String BINDING_LAUNCH = "launch";
    private static final String BINDING_CLIENT = "client";
    private static final String BINDING_CONFLICT = "conflict";
    private static final String BINDING_RECORD = "record";
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
     *
     * @param kept how many launches of this app the session keeps, this one included (at least 1)
     */
    public static void stage(KeycloakSession session, AuthenticationSessionModel authSession, UserModel clinician, LaunchContext context,
                             UpstreamTokens tokens, int kept) {
        RealmModel realm = authSession.getRealm();
        ClientModel client = authSession.getClient();
        String launchId = context.launchId();
        List<String> dropped = makeRoom(session, authSession, clinician, Math.max(1, kept));
        String sealed = seal(session, realm, client, new StoredLaunch(context, tokens));
        LaunchRows.of(session).store(realm, client, launchId, sealed, Time.currentTime(), dropped);
        authSession.setClientNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, ROW_MARKER);
        String challenge = authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM);
        if (challenge == null || challenge.isBlank()) {
            // The launch authenticator refuses launches without PKCE; this is defence in depth.
            throw new IllegalStateException("authorization request without PKCE challenge cannot be bound to a launch");
        }
        SingleUseObjectProvider records = session.singleUseObjects();
        String key = Smart.RECORD_BINDING_PREFIX + challenge;
        // Atomic, also across nodes: of two launches staged at once with one challenge, exactly one claims it.
        if (records.putIfAbsent(key + CLAIM_SUFFIX, BINDING_LIFESPAN_SECONDS)) {
            // The record rides along, so that the code exchange opens it without reading the row it was written to here.
            records.put(key, BINDING_LIFESPAN_SECONDS, Map.of(BINDING_LAUNCH, launchId, BINDING_CLIENT, client.getId(), BINDING_RECORD, sealed));
        } else {
            // The same challenge on two launches: neither may receive context, since neither can be told apart. The
            // conflict has a key of its own, so the first launch's binding, written later or not, cannot hide it.
            LOG.warnf("Client %s reused a PKCE challenge across launches; the launch context is withheld", client.getClientId());
            records.put(key + CONFLICT_SUFFIX, BINDING_LIFESPAN_SECONDS, Map.of(BINDING_CONFLICT, "true"));
        }
    }

    // ---------------------------------------------------------------- at token issue

    /**
     * A launch a token is being issued for: its id, and, when it comes from the binding of the authorization request,
     * the sealed record staged with it (null otherwise, or for a binding written before the record rode along).
     */
    public record Bound(String launchId, String sealed) {

        /** A launch known by its id only (from a token's claim): its record is read from its row. */
        public static Bound of(String launchId) {
            return new Bound(launchId, null);
        }
    }

    /** The launch bound to the authorization request whose PKCE challenge this is, if it was issued to this client. */
    public static Optional<Bound> boundLaunch(KeycloakSession session, ClientModel client, String codeChallenge) {
        if (codeChallenge == null) {
            return Optional.empty();
        }
        String key = Smart.RECORD_BINDING_PREFIX + codeChallenge;
        Map<String, String> record = session.singleUseObjects().get(key);
        if (record == null || record.containsKey(BINDING_CONFLICT) || session.singleUseObjects().contains(key + CONFLICT_SUFFIX)
                || !client.getId().equals(record.get(BINDING_CLIENT)) || record.get(BINDING_LAUNCH) == null) {
            return Optional.empty();
        }
        return Optional.of(new Bound(record.get(BINDING_LAUNCH), record.get(BINDING_RECORD)));
    }

    /** Drops the binding once the code was exchanged; the launch id then travels in the tokens. */
    public static void releaseBinding(KeycloakSession session, String codeChallenge) {
        if (codeChallenge != null) {
            session.singleUseObjects().remove(Smart.RECORD_BINDING_PREFIX + codeChallenge);
            session.singleUseObjects().remove(Smart.RECORD_BINDING_PREFIX + codeChallenge + CLAIM_SUFFIX);
        }
    }

    /** A launch of this client session, if it is still known: its context, and the EHR's tokens if they still hold. */
    public static Optional<StoredLaunch> launch(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        if (clientSession == null || launchId == null) {
            return Optional.empty();
        }
        RealmModel realm = clientSession.getRealm();
        ClientModel client = clientSession.getClient();
        String note = clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId);
        if (note == null) {
            return Optional.empty();
        }
        Optional<StoredLaunch> stored;
        if (ROW_MARKER.equals(note)) {
            LaunchRows rows = LaunchRows.of(session);
            Optional<LaunchEntity> row = rows.find(realm, client, launchId);
            if (row.isEmpty()) {
                LOG.debugf("Launch %s of client session is not in the launch table (expired, or its client was removed)", launchId);
                return Optional.empty();
            }
            rows.renewIfDue(row.get(), realm, Time.currentTime());
            stored = open(session, realm, client, launchId, row.get().getData());
        } else {
            stored = open(session, realm, client, launchId, note);
            if (stored.isEmpty()) {
                stored = legacy(session, clientSession, launchId, note);
            }
        }
        return stored.filter(l -> l.context() != null && launchId.equals(l.context().launchId()));
    }

    /**
     * A launch of this client session, if it is still known. A record that came with the authorization request's
     * binding opens as it is: it was staged in the same callback as the row, and nothing changes a row before its
     * first tokens are issued (its EHR tokens are refreshed only for a token of Keycloak's). The session must still
     * list the launch as kept in the table, so a launch dropped meanwhile stays dropped.
     */
    public static Optional<StoredLaunch> launch(KeycloakSession session, AuthenticatedClientSessionModel clientSession, Bound bound) {
        if (bound.sealed() == null || clientSession == null) {
            return launch(session, clientSession, bound.launchId());
        }
        String launchId = bound.launchId();
        if (!ROW_MARKER.equals(clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId))) {
            return Optional.empty();
        }
        return open(session, clientSession.getRealm(), clientSession.getClient(), launchId, bound.sealed())
                .filter(l -> l.context() != null && launchId.equals(l.context().launchId()));
    }

    /** The context of a launch of this client session, if the launch is still known ({@link #launch(KeycloakSession, AuthenticatedClientSessionModel, Bound)}). */
    public static Optional<LaunchContext> context(KeycloakSession session, AuthenticatedClientSessionModel clientSession, Bound bound) {
        return launch(session, clientSession, bound).map(StoredLaunch::context);
    }

    private static Optional<StoredLaunch> open(KeycloakSession session, RealmModel realm, ClientModel client, String launchId, String sealed) {
        return SessionSealer.open(session, realm, sealed, aad(realm, client, launchId, KIND_RECORD)).flatMap(json -> read(json, StoredLaunch.class));
    }

    /** The context of a launch of this client session, if the launch is still known. */
    public static Optional<LaunchContext> context(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        return launch(session, clientSession, launchId).map(StoredLaunch::context);
    }

    /** The EHR's tokens of a launch of this client session, if the launch is known and its EHR authorization holds. */
    public static Optional<UpstreamTokens> tokens(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        return launch(session, clientSession, launchId).map(StoredLaunch::tokens);
    }

    /**
     * Replaces a launch's EHR tokens (after a refresh); nothing when the launch was dropped meanwhile.
     *
     * @param context the launch's context as the caller opened it from this client session
     */
    public static void storeTokens(KeycloakSession session, AuthenticatedClientSessionModel clientSession, LaunchContext context,
                                   UpstreamTokens tokens) {
        rewrite(session, clientSession, context, tokens);
    }

    /** Forgets a launch's EHR tokens (their authorization ended); the launch and its context stay known. */
    public static void forgetTokens(KeycloakSession session, AuthenticatedClientSessionModel clientSession, LaunchContext context) {
        rewrite(session, clientSession, context, null);
    }

    /**
     * Tokens of an offline session were issued for this launch (at code exchange with {@code offline_access}): its row
     * now lives as long as the offline session may, beyond the online session it was staged in.
     */
    public static void keepForOffline(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId) {
        LaunchRows rows = LaunchRows.of(session);
        tableRow(rows, clientSession, launchId).ifPresent(row -> rows.keepOffline(row, clientSession.getRealm(), Time.currentTime()));
    }

    /**
     * The clinician's session of this client session is ending (logout): its launch goes with it, unless tokens of an
     * offline session were issued for it, which keeps the launch without its EHR tokens (they are being revoked).
     *
     * @param context the launch's context as the caller opened it from this client session
     */
    public static void end(KeycloakSession session, AuthenticatedClientSessionModel clientSession, LaunchContext context) {
        // A launch stored in the session before the table ends with the session (an offline session has its own copy).
        LaunchRows rows = LaunchRows.of(session);
        tableRow(rows, clientSession, context.launchId()).ifPresent(row -> {
            if (row.isOffline()) {
                row.setData(seal(session, clientSession.getRealm(), clientSession.getClient(), new StoredLaunch(context, null)));
            } else {
                rows.remove(row);
            }
        });
    }

    /** The row of a launch that this client session lists as kept in the launch table (not in a note of its own). */
    private static Optional<LaunchEntity> tableRow(LaunchRows rows, AuthenticatedClientSessionModel clientSession, String launchId) {
        return ROW_MARKER.equals(clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId))
                ? rows.find(clientSession.getRealm(), clientSession.getClient(), launchId)
                : Optional.empty();
    }

    /** Seals the launch again with other tokens; its caller has just opened it, so it is not opened once more here. */
    private static void rewrite(KeycloakSession session, AuthenticatedClientSessionModel clientSession, LaunchContext context,
                                UpstreamTokens tokens) {
        String launchId = context.launchId();
        String note = clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId);
        if (note == null) {
            LOG.debugf("Launch %s is no longer kept in its client session; its EHR tokens are not stored", launchId);
            return;
        }
        RealmModel realm = clientSession.getRealm();
        ClientModel client = clientSession.getClient();
        String sealed = seal(session, realm, client, new StoredLaunch(context, tokens));
        LaunchRows rows = LaunchRows.of(session);
        if (ROW_MARKER.equals(note)) {
            rows.find(realm, client, launchId).ifPresentOrElse(row -> row.setData(sealed),
                    () -> LOG.debugf("Launch %s is no longer in the launch table; its EHR tokens are not stored", launchId));
            return;
        }
        // Stored in the client session before launches had rows of their own: move it to a row.
        rows.insert(realm, client, launchId, sealed, Time.currentTime());
        clientSession.setNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, ROW_MARKER);
        if (clientSession.getNote(TOKENS_PREFIX + launchId) != null) {
            clientSession.removeNote(TOKENS_PREFIX + launchId);
        }
    }

    /** A launch stored as two notes, before the single record: the context here, the tokens under their own key. */
    private static Optional<StoredLaunch> legacy(KeycloakSession session, AuthenticatedClientSessionModel clientSession, String launchId,
                                                 String sealedContext) {
        RealmModel realm = clientSession.getRealm();
        ClientModel client = clientSession.getClient();
        Optional<LaunchContext> context = SessionSealer.open(session, realm, sealedContext, aad(realm, client, launchId, KIND_LEGACY_CONTEXT))
                .flatMap(json -> read(json, LaunchContext.class));
        if (context.isEmpty()) {
            return Optional.empty();
        }
        UpstreamTokens tokens = SessionSealer.open(session, realm, clientSession.getNote(TOKENS_PREFIX + launchId),
                        aad(realm, client, launchId, KIND_LEGACY_TOKENS))
                .flatMap(json -> read(json, UpstreamTokens.class))
                .orElse(null);
        return Optional.of(new StoredLaunch(context.get(), tokens));
    }

    private static String seal(KeycloakSession session, RealmModel realm, ClientModel client, StoredLaunch launch) {
        return SessionSealer.seal(session, realm, json(launch), aad(realm, client, launch.context().launchId(), KIND_RECORD));
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

    /**
     * Prunes the client session of this app in the clinician's own session that the login will be attached to; returns
     * the ids of the dropped launches that have rows, oldest first.
     */
    private static List<String> makeRoom(KeycloakSession session, AuthenticationSessionModel authSession, UserModel clinician, int kept) {
        UserSessionModel own = session.sessions().getUserSession(authSession.getRealm(), authSession.getParentSession().getId());
        if (own == null || own.getUser() == null || !own.getUser().getId().equals(clinician.getId())) {
            return List.of();
        }
        AuthenticatedClientSessionModel clientSession = own.getAuthenticatedClientSessionByClient(authSession.getClient().getId());
        return clientSession == null ? List.of() : prune(clientSession, kept - 1);
    }

    /**
     * Keeps at most {@code keep} launches of a client session, dropping the oldest (ids made before launch ids carried
     * their time count as the oldest); writes nothing when there are no more than that. Returns the ids of the dropped
     * launches that have rows, oldest first: their rows go with them ({@link LaunchRows#store}), unless tokens of an
     * offline session were issued for them, since that session holds the launch still.
     */
    static List<String> prune(AuthenticatedClientSessionModel clientSession, int keep) {
        List<String> ids = launchIds(clientSession);
        if (ids.size() <= keep) {
            return List.of();
        }
        ids.sort(Comparator.comparing((String id) -> id.indexOf(ID_SEPARATOR) == ORDERED_PREFIX_LENGTH).thenComparing(id -> id));
        List<String> rows = new ArrayList<>();
        for (String id : ids.subList(0, ids.size() - keep)) {
            if (ROW_MARKER.equals(clientSession.getNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + id))) {
                rows.add(id);
            }
            clientSession.removeNote(Smart.NOTE_LAUNCH_RECORD_PREFIX + id);
            if (clientSession.getNote(TOKENS_PREFIX + id) != null) {
                clientSession.removeNote(TOKENS_PREFIX + id);
            }
        }
        return rows;
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
