package dev.smartbroker.simulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Everything the simulated authorization server remembers; all in memory, all thread-safe. */
final class State {

    /** An opaque EHR launch: single-use, bound to tenant, client, patient and encounter (docs/ehr/cerner.md §2.1). */
    record Launch(String id, String tenant, String clientId, String patientId, String encounterId, Instant expires) {
    }

    /** An authorization request between the authorize call and the code: waiting for login and consent. */
    record Txn(String id, String tenant, String clientId, String redirectUri, boolean redirectOmitted, String state,
               String scope, Launch launch, String challenge, String nonce, Instant expires) {
    }

    /** The clinician's EHR session (the HttpOnly cookie); online_access refresh tokens live as long as it does. */
    record EhrSession(String id, String username) {
    }

    record Code(String value, String tenant, String clientId, String redirectUriParam, String challenge, String scope,
                String patientId, String encounterId, String username, String sessionId, String nonce, Instant expires) {
    }

    record AccessToken(String value, String tenant, String clientId, Set<String> scopes, String patientId, String encounterId,
                       String username, Instant expires) {
    }

    static final class RefreshToken {
        final String value;
        final String tenant;
        final String clientId;
        final String scope;
        final String patientId;
        final String encounterId;
        final String username;
        final String sessionId;
        final boolean online;
        final AtomicInteger refreshes = new AtomicInteger();
        volatile boolean revoked;
        /** Guarded by this object's monitor: the refresh-throttle window starts here. */
        Instant lastRefresh;
        /** Guarded by this object's monitor: a generic tenant's refresh token was exchanged for a new one (rotation). */
        boolean used;

        RefreshToken(String value, String tenant, String clientId, String scope, String patientId, String encounterId,
                     String username, String sessionId, boolean online) {
            this.value = value;
            this.tenant = tenant;
            this.clientId = clientId;
            this.scope = scope;
            this.patientId = patientId;
            this.encounterId = encounterId;
            this.username = username;
            this.sessionId = sessionId;
            this.online = online;
        }
    }

    final Map<String, AppRegistration> apps = new ConcurrentHashMap<>();
    final Map<String, SimulatorConfig.Tenant> tenants = new LinkedHashMap<>();
    final Map<String, SimulatorConfig.User> users = new LinkedHashMap<>();
    final Map<String, Launch> launches = new ConcurrentHashMap<>();
    final Map<String, Txn> txns = new ConcurrentHashMap<>();
    final Map<String, EhrSession> sessions = new ConcurrentHashMap<>();
    /** username|tenant|client of remembered consents (tenant setting consent=once). */
    final Set<String> consents = ConcurrentHashMap.newKeySet();
    final Map<String, Code> codes = new ConcurrentHashMap<>();
    final Map<String, AccessToken> accessTokens = new ConcurrentHashMap<>();
    final Map<String, RefreshToken> refreshTokens = new ConcurrentHashMap<>();
    /** client|jti of accepted client assertions, with the assertion's expiry, for replay detection. */
    final Map<String, Instant> jtis = new ConcurrentHashMap<>();

    /**
     * Forgets what can no longer be used, so that long benchmarks run in bounded memory. A jti is kept past its
     * expiry by the accepted clock skew plus a margin: an assertion within the skew must still count as replayed.
     */
    void purge(Instant now, long jtiGraceSeconds) {
        launches.values().removeIf(l -> l.expires().isBefore(now));
        txns.values().removeIf(t -> t.expires().isBefore(now));
        codes.values().removeIf(c -> c.expires().isBefore(now));
        accessTokens.values().removeIf(t -> t.expires().isBefore(now));
        Instant jtiLimit = now.minusSeconds(jtiGraceSeconds);
        jtis.values().removeIf(exp -> exp.isBefore(jtiLimit));
    }
}
