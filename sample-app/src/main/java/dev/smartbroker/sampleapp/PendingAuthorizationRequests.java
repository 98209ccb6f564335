package dev.smartbroker.sampleapp;

import java.io.Serializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.springframework.security.oauth2.client.web.AuthorizationRequestRepository;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.util.Assert;
import org.springframework.web.util.WebUtils;

/**
 * The logins this browser has started and not finished, each kept under its own {@code state}. Spring's default keeps
 * one per browser session, so a tab whose login started earlier comes back to find the request of a later tab and
 * fails. Here each authorization response finds its own request (with its PKCE verifier and nonce), however the tabs
 * interleave. Bounded in number and age: a login that is not finished in time has to be started again from the EHR.
 */
final class PendingAuthorizationRequests implements AuthorizationRequestRepository<OAuth2AuthorizationRequest> {

    private static final String ATTRIBUTE = PendingAuthorizationRequests.class.getName() + ".pending";

    private final Clock clock;
    private final int capacity;
    private final Duration maxAge;

    PendingAuthorizationRequests(Clock clock, int capacity, Duration maxAge) {
        if (capacity < 1 || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("capacity and maxAge must be positive");
        }
        this.clock = clock;
        this.capacity = capacity;
        this.maxAge = maxAge;
    }

    @Override
    public OAuth2AuthorizationRequest loadAuthorizationRequest(HttpServletRequest request) {
        String state = request.getParameter(OAuth2ParameterNames.STATE);
        Pending pending = state == null ? null : pending(request.getSession(false), false);
        return pending == null ? null : pending.get(state, clock.instant().minus(maxAge));
    }

    @Override
    public void saveAuthorizationRequest(OAuth2AuthorizationRequest authorizationRequest, HttpServletRequest request,
                                         HttpServletResponse response) {
        if (authorizationRequest == null) {
            removeAuthorizationRequest(request, response);
            return;
        }
        Assert.hasText(authorizationRequest.getState(), "an authorization request needs a state");
        HttpSession session = request.getSession(true);
        Pending pending = pending(session, true);
        Instant now = clock.instant();
        pending.put(authorizationRequest, now, now.minus(maxAge), capacity);
        session.setAttribute(ATTRIBUTE, pending);
    }

    @Override
    public OAuth2AuthorizationRequest removeAuthorizationRequest(HttpServletRequest request, HttpServletResponse response) {
        String state = request.getParameter(OAuth2ParameterNames.STATE);
        HttpSession session = request.getSession(false);
        Pending pending = state == null ? null : pending(session, false);
        if (pending == null) {
            return null;
        }
        OAuth2AuthorizationRequest removed = pending.remove(state, clock.instant().minus(maxAge));
        session.setAttribute(ATTRIBUTE, pending);
        return removed;
    }

    private static Pending pending(HttpSession session, boolean create) {
        if (session == null) {
            return null;
        }
        synchronized (WebUtils.getSessionMutex(session)) {
            Pending pending = (Pending) session.getAttribute(ATTRIBUTE);
            if (pending == null && create) {
                pending = new Pending();
                session.setAttribute(ATTRIBUTE, pending);
            }
            return pending;
        }
    }

    private record Saved(OAuth2AuthorizationRequest request, Instant at) implements Serializable {

        private static final long serialVersionUID = 1L;
    }

    /** Requests by state, oldest first; anything saved before {@code staleBefore} is dropped on every access. */
    private static final class Pending implements Serializable {

        private static final long serialVersionUID = 1L;

        private final LinkedHashMap<String, Saved> byState = new LinkedHashMap<>();

        synchronized OAuth2AuthorizationRequest get(String state, Instant staleBefore) {
            dropStale(staleBefore);
            Saved saved = byState.get(state);
            return saved == null ? null : saved.request();
        }

        synchronized void put(OAuth2AuthorizationRequest request, Instant now, Instant staleBefore, int capacity) {
            dropStale(staleBefore);
            byState.remove(request.getState()); // keeps insertion order equal to age order
            byState.put(request.getState(), new Saved(request, now));
            Iterator<String> oldest = byState.keySet().iterator();
            while (byState.size() > capacity) {
                oldest.next();
                oldest.remove();
            }
        }

        synchronized OAuth2AuthorizationRequest remove(String state, Instant staleBefore) {
            dropStale(staleBefore);
            Saved saved = byState.remove(state);
            return saved == null ? null : saved.request();
        }

        private void dropStale(Instant staleBefore) {
            Iterator<Map.Entry<String, Saved>> entries = byState.entrySet().iterator();
            while (entries.hasNext()) {
                if (entries.next().getValue().at().isBefore(staleBefore)) {
                    entries.remove();
                } else {
                    break; // age order: the rest are younger
                }
            }
        }
    }
}
