package dev.smartbroker.sampleapp;

import java.io.Serializable;
import java.text.ParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Optional;

import com.nimbusds.jwt.JWTParser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.web.util.WebUtils;

/**
 * The launches one browser holds, in its HTTP session, keyed by launch id. There is deliberately no "current launch":
 * a browser has one session cookie for all its tabs, so anything kept per browser would follow whichever tab signed
 * in last. Each request says which launch it is about through its URL ({@link LaunchUrls}).
 *
 * <p>The launch id is the {@code smart_launch} claim Keycloak puts in every access token of a launch, refreshed ones
 * included, so it is known as soon as the login's tokens arrive and it never changes for the life of the launch.
 */
final class LaunchStore {

    /** The claim of the access token that names the launch. */
    static final String LAUNCH_CLAIM = "smart_launch";
    private static final String ATTRIBUTE = LaunchStore.class.getName() + ".launches";

    /** One launch: the login made for it and its authorized client (access and refresh token). */
    record Launch(LaunchAuthentication authentication, OAuth2AuthorizedClient client) implements Serializable {

        private static final long serialVersionUID = 1L;

        String id() {
            return authentication.launchId();
        }
    }

    private final int capacity;

    /** @param capacity how many launches one browser keeps; beyond it the oldest is dropped (its tab then says so) */
    LaunchStore(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    /**
     * The launch id in an access token, or null if it has none or one this app would not put in a URL. The token
     * comes straight from Keycloak's token endpoint over the back channel, so the app reads it without verifying a
     * signature, as it would any other field of the token response.
     */
    static String launchIdOf(OAuth2AccessToken token) {
        try {
            Object value = JWTParser.parse(token.getTokenValue()).getJWTClaimsSet().getClaim(LAUNCH_CLAIM);
            return value instanceof String id && LaunchUrls.ID.matcher(id).matches() ? id : null;
        } catch (ParseException notAJwt) {
            return null;
        }
    }

    Optional<Launch> find(HttpServletRequest request, String launchId) {
        HttpSession session = request.getSession(false);
        Held held = session == null || launchId == null ? null : held(session, false);
        return held == null ? Optional.empty() : Optional.ofNullable(held.get(launchId));
    }

    /** Adds a launch, dropping the oldest ones beyond the capacity. */
    void put(HttpServletRequest request, Launch launch) {
        HttpSession session = request.getSession(true);
        Held held = held(session, true);
        held.put(launch, capacity);
        changed(session, held);
    }

    /** Replaces the tokens of a launch this browser still holds (after a refresh); false if it holds it no more. */
    boolean replaceClient(HttpServletRequest request, String launchId, OAuth2AuthorizedClient client) {
        HttpSession session = request.getSession(false);
        Held held = session == null ? null : held(session, false);
        if (held == null || !held.replaceClient(launchId, client)) {
            return false;
        }
        changed(session, held);
        return true;
    }

    void remove(HttpServletRequest request, String launchId) {
        HttpSession session = request.getSession(false);
        Held held = session == null ? null : held(session, false);
        if (held != null && held.remove(launchId)) {
            changed(session, held);
        }
    }

    int size(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        Held held = session == null ? null : held(session, false);
        return held == null ? 0 : held.size();
    }

    private static Held held(HttpSession session, boolean create) {
        // Two tabs' first requests may arrive together: create the map once per session.
        synchronized (WebUtils.getSessionMutex(session)) {
            Held held = (Held) session.getAttribute(ATTRIBUTE);
            if (held == null && create) {
                held = new Held();
                session.setAttribute(ATTRIBUTE, held);
            }
            return held;
        }
    }

    /** Setting the attribute again tells replicated or persisted session stores that its content changed. */
    private static void changed(HttpSession session, Held held) {
        try {
            session.setAttribute(ATTRIBUTE, held);
        } catch (IllegalStateException invalidated) {
            // signed out meanwhile: nothing left to keep
        }
    }

    /** The map itself, safe for the concurrent requests of several tabs. Insertion order is age order. */
    private static final class Held implements Serializable {

        private static final long serialVersionUID = 1L;

        private final LinkedHashMap<String, Launch> launches = new LinkedHashMap<>();

        synchronized Launch get(String launchId) {
            return launches.get(launchId);
        }

        synchronized void put(Launch launch, int capacity) {
            launches.remove(launch.id());
            launches.put(launch.id(), launch);
            Iterator<String> oldest = launches.keySet().iterator();
            while (launches.size() > capacity) {
                oldest.next();
                oldest.remove();
            }
        }

        synchronized boolean replaceClient(String launchId, OAuth2AuthorizedClient client) {
            Launch launch = launches.get(launchId);
            if (launch == null) {
                return false;
            }
            launches.put(launchId, new Launch(launch.authentication(), client));
            return true;
        }

        synchronized boolean remove(String launchId) {
            return launches.remove(launchId) != null;
        }

        synchronized int size() {
            return launches.size();
        }
    }
}
