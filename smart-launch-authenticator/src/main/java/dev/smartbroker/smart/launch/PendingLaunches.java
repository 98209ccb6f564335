package dev.smartbroker.smart.launch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.NewCookie;

import dev.smartbroker.smart.Smart;
import org.keycloak.common.util.SecretGenerator;
import org.keycloak.common.util.Time;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.SingleUseObjectProvider;

/**
 * Launches that arrived at the Launch URI and wait for the app's own authorization request.
 *
 * <p>Each lives in Keycloak's single-use object store (replicated across the cluster, never persisted), under a
 * random handle, for a few minutes, and is claimed exactly once. The handle reaches the app's authorization
 * request either as its {@code launch} parameter (apps that forward it: exact binding) or through a per-app
 * cookie on Keycloak's realm path (apps that forward nothing). A second launch of the same app in the same
 * browser while the first is still unclaimed marks both "contested": the cookie can no longer tell them apart,
 * so neither is given out by cookie (fail closed), only by handle. A contested launch claimed by its handle leaves a
 * tombstone for the rest of its lifetime, so that a later cookie login in that browser still fails closed instead of
 * finding "no launch" and signing in without a patient while the other launch waits.
 */
final class PendingLaunches {

    static final String COOKIE_PREFIX = "KC_SMART_LAUNCH_";
    private static final String CLIENT = "client";
    private static final String IDP = "idp";
    private static final String ISS = "iss";
    private static final String LAUNCH = "launch";
    private static final String CONTESTED = "contested";
    private static final String USED = "used";
    private static final String EXPIRES = "exp";

    /**
     * A pending launch, or the tombstone of a contested one that was claimed ({@code used}). {@code launch} is the EHR's
     * opaque value: never logged.
     */
    record Pending(String handle, String clientUuid, String idpAlias, String iss, String launch, boolean contested, boolean used) {

        @Override
        public String toString() {
            return "Pending[client=" + clientUuid + ", idp=" + idpAlias + ", contested=" + contested + ", used=" + used + "]";
        }
    }

    private PendingLaunches() {
    }

    static String create(KeycloakSession session, ClientModel client, String idpAlias, String iss, String launch, long lifespanSeconds) {
        return create(session, client, idpAlias, iss, launch, lifespanSeconds, false);
    }

    /** Creates a pending launch; a contested one can only be claimed by its handle, never through the cookie. */
    static String create(KeycloakSession session, ClientModel client, String idpAlias, String iss, String launch, long lifespanSeconds,
                         boolean contested) {
        String handle = SecretGenerator.getInstance().randomString(32);
        Map<String, String> notes = new HashMap<>();
        notes.put(CLIENT, client.getId());
        notes.put(IDP, idpAlias);
        notes.put(ISS, iss);
        notes.put(LAUNCH, launch);
        notes.put(EXPIRES, String.valueOf(Time.currentTime() + lifespanSeconds));
        if (contested) {
            notes.put(CONTESTED, "true");
        }
        session.singleUseObjects().put(key(handle), lifespanSeconds, notes);
        return handle;
    }

    /** Reads a pending launch without claiming it. */
    static Optional<Pending> peek(KeycloakSession session, String handle) {
        if (!isHandle(handle)) {
            return Optional.empty();
        }
        return Optional.ofNullable(session.singleUseObjects().get(key(handle))).map(n -> pending(handle, n));
    }

    /**
     * Claims a pending launch: it can be claimed once. A contested launch leaves its tombstone behind; a tombstone is
     * never claimed (and stays).
     */
    static Optional<Pending> claim(KeycloakSession session, String handle) {
        if (!isHandle(handle)) {
            return Optional.empty();
        }
        SingleUseObjectProvider store = session.singleUseObjects();
        Map<String, String> notes = store.remove(key(handle));
        if (notes == null) {
            return Optional.empty();
        }
        Pending pending = pending(handle, notes);
        if (pending.used() || pending.contested()) {
            Map<String, String> tombstone = new HashMap<>();
            tombstone.put(CLIENT, pending.clientUuid());
            tombstone.put(CONTESTED, "true");
            tombstone.put(USED, "true");
            String expires = notes.get(EXPIRES);
            tombstone.put(EXPIRES, expires);
            long remaining = expires == null ? 60 : Long.parseLong(expires) - Time.currentTime();
            store.put(key(handle), Math.max(1, remaining), tombstone);
        }
        return pending.used() ? Optional.empty() : Optional.of(pending);
    }

    /**
     * Marks a pending launch as reachable by handle only. One that is contested already is left alone: writing back what
     * was read could put a launch that its login claimed meanwhile back over its tombstone, to be claimed again.
     */
    static void contest(KeycloakSession session, String handle) {
        SingleUseObjectProvider store = session.singleUseObjects();
        Map<String, String> notes = store.get(key(handle));
        if (notes != null && !Boolean.parseBoolean(notes.get(CONTESTED))) {
            Map<String, String> updated = new HashMap<>(notes);
            updated.put(CONTESTED, "true");
            store.replace(key(handle), updated);
        }
    }

    /** The per-app cookie name: one app's launch never displaces another app's. */
    static String cookieName(ClientModel client) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(client.getId().getBytes(StandardCharsets.UTF_8));
            return COOKIE_PREFIX + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Optional<String> handleFromCookie(KeycloakSession session, ClientModel client) {
        Map<String, Cookie> cookies = session.getContext().getRequestHeaders().getCookies();
        Cookie cookie = cookies == null ? null : cookies.get(cookieName(client));
        return cookie == null || !isHandle(cookie.getValue()) ? Optional.empty() : Optional.of(cookie.getValue());
    }

    static NewCookie cookie(KeycloakSession session, RealmModel realm, ClientModel client, String handle, int maxAgeSeconds) {
        String path = session.getContext().getUri().getBaseUri().getRawPath();
        path = (path.endsWith("/") ? path : path + "/") + "realms/" + realm.getName() + "/";
        boolean secure = isSecureContext(session);
        return new NewCookie.Builder(cookieName(client))
                .value(handle == null ? "" : handle)
                .path(path)
                .maxAge(handle == null ? 0 : maxAgeSeconds)
                .httpOnly(true)
                .secure(secure)
                // Top-level same-window redirects (PowerChart) carry Lax cookies; None needs Secure.
                .sameSite(secure ? NewCookie.SameSite.NONE : NewCookie.SameSite.LAX)
                .build();
    }

    private static boolean isSecureContext(KeycloakSession session) {
        java.net.URI uri = session.getContext().getUri().getRequestUri();
        String host = uri.getHost() == null ? "" : uri.getHost();
        return "https".equalsIgnoreCase(uri.getScheme()) || host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    private static boolean isHandle(String value) {
        return value != null && value.length() == 32 && value.chars().allMatch(Character::isLetterOrDigit);
    }

    private static String key(String handle) {
        return Smart.RECORD_PENDING_PREFIX + handle;
    }

    private static Pending pending(String handle, Map<String, String> notes) {
        return new Pending(handle, notes.get(CLIENT), notes.get(IDP), notes.get(ISS), notes.get(LAUNCH),
                Boolean.parseBoolean(notes.get(CONTESTED)), Boolean.parseBoolean(notes.get(USED)));
    }
}
