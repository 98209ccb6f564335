package dev.smartbroker.simulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;

/** Everything the simulated authorization server remembers; all in memory, all thread-safe. */
final class State {

    record Launch(String id, String tenant, String clientId, String patientId, String encounterId, Instant expires) {
    }

    record Txn(String id, String tenant, String clientId, String redirectUri, boolean redirectOmitted, String state,
               String scope, Launch launch, String challenge, String nonce) {
    }

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
        volatile boolean revoked;
        volatile Instant lastRefresh;

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
    final Set<String> consents = ConcurrentHashMap.newKeySet();
    final Map<String, Code> codes = new ConcurrentHashMap<>();
    final Set<String> usedCodes = ConcurrentHashMap.newKeySet();
    final Map<String, AccessToken> accessTokens = new ConcurrentHashMap<>();
    final Map<String, RefreshToken> refreshTokens = new ConcurrentHashMap<>();
    /** jti values seen per client, with the assertion's expiry, for replay detection. */
    final Map<String, Instant> jtis = new ConcurrentHashMap<>();
    final List<IssuedToken> issued = new CopyOnWriteArrayList<>();
}
