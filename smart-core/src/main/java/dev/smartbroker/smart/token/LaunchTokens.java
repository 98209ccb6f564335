package dev.smartbroker.smart.token;

import java.io.IOException;
import java.util.Optional;
import java.util.function.LongSupplier;

import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.context.StoredLaunch;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.idp.SmartIdentityProvider;
import dev.smartbroker.smart.idp.SmartIdentityProviderFactory;
import dev.smartbroker.smart.metrics.SmartMetrics;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.SingleUseObjectProvider;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Cerner's access token of one launch, kept fresh by Cerner's rules (docs/ehr/cerner.md §2.8):
 * <ul>
 *   <li>refresh only when the token is expired or about to expire;</li>
 *   <li>keep the refresh token when the response carries none (Cerner never sends one, docs/ehr/cerner.md), replace it when one comes;</li>
 *   <li>never refresh one launch more often than the tenant's minimum interval (60 s by default): while the
 *       token is still valid it is returned as is, and an expired one waits;</li>
 *   <li>concurrent callers cause one upstream refresh: a single flight per node and a lock in Keycloak's
 *       replicated single-use store across nodes;</li>
 *   <li>{@code invalid_grant} on refresh ends the launch's EHR authorization ({@code online_access} ends with
 *       the clinician's EHR session): the tokens are dropped and callers are told to relaunch.</li>
 * </ul>
 */
public final class LaunchTokens {

    private static final Logger LOG = Logger.getLogger(LaunchTokens.class);
    private static final String LOCK_PREFIX = "smart.refresh.";
    private static final long LOCK_SECONDS = 70;
    private static final long POLL_MILLIS = 150;

    /** Outcome of a token request. */
    public record Result(UpstreamTokens tokens, LaunchContext context, boolean refreshed) {
    }

    /** Why no token can be given, in API terms. */
    public enum Refusal {
        LAUNCH_NOT_FOUND, RELAUNCH_REQUIRED, THROTTLED
    }

    public static final class RefusedException extends Exception {

        private static final long serialVersionUID = 1L;
        private final Refusal refusal;
        private final long retryAfterSeconds;

        RefusedException(Refusal refusal, String message, long retryAfterSeconds) {
            super(message);
            this.refusal = refusal;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public Refusal refusal() {
            return refusal;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /**
     * What a refresh reaches beyond this request for: the tenant's identity provider, the tokens as committed, the EHR's
     * token endpoint. Keycloak's implementation is {@link KeycloakUpstream}; unit tests pass their own.
     */
    interface Upstream {

        Optional<SmartIdentityProvider> provider(String alias);

        Optional<UpstreamTokens> committedTokens(AuthenticatedClientSessionModel clientSession, String launchId);

        TokenResponse refresh(SmartIdentityProvider provider, String refreshToken) throws UpstreamException;
    }

    private final KeycloakSession session;
    private final LongSupplier clock;
    private final Upstream upstream;

    public LaunchTokens(KeycloakSession session) {
        this(session, Time::currentTimeSeconds, new KeycloakUpstream(session));
    }

    /** @param clock epoch seconds */
    LaunchTokens(KeycloakSession session, LongSupplier clock, Upstream upstream) {
        this.session = session;
        this.clock = clock;
        this.upstream = upstream;
    }

    /** The launch's EHR token, refreshed upstream when due. */
    public Result launchToken(AuthenticatedClientSessionModel clientSession, String launchId) throws UpstreamException, RefusedException {
        StoredLaunch stored = LaunchStore.launch(session, clientSession, launchId)
                .orElseThrow(() -> new RefusedException(Refusal.LAUNCH_NOT_FOUND, "launch not found in this session", 0));
        LaunchContext context = stored.context();
        UpstreamTokens tokens = Optional.ofNullable(stored.tokens())
                .orElseThrow(() -> new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's EHR authorization has ended", 0));
        long now = clock.getAsLong();
        if (!tokens.isDue(now)) {
            return new Result(tokens, context, false);
        }
        SmartIdentityProvider provider = upstream.provider(context.idpAlias())
                .orElseThrow(() -> new RefusedException(Refusal.RELAUNCH_REQUIRED, "the tenant of this launch is gone or disabled", 0));
        if (tokens.refreshToken() == null) {
            if (!tokens.isExpired(now)) {
                return new Result(tokens, context, false);
            }
            throw new RefusedException(Refusal.RELAUNCH_REQUIRED, "no refresh token (type of access 'none')", 0);
        }
        long interval = provider.getConfig().minRefreshIntervalSeconds();
        long sinceRefresh = now - tokens.refreshedAt();
        if (tokens.refreshedAt() > 0 && sinceRefresh < interval) {
            if (!tokens.isExpired(now)) {
                // EHRs may throttle refreshes (Cerner: more often than once a minute); the still-valid token will do.
                return new Result(tokens, context, false);
            }
            throw new RefusedException(Refusal.THROTTLED, "refreshed less than " + interval + " s ago", interval - sinceRefresh);
        }
        String key = clientSession.getRealm().getId() + ":" + launchId;
        try {
            return provider.services().coordinator().once(key, provider.getConfig().readTimeoutMillis() + 5_000L, () -> {
                try {
                    return refreshOnce(provider, clientSession, launchId, context);
                } catch (UpstreamException e) {
                    throw new SingleFlight.CallFailure(e);
                } catch (RefusedException e) {
                    throw new RefusalCarrier(e);
                }
            });
        } catch (RefusalCarrier carrier) {
            throw carrier.refusal;
        }
    }

    private Result refreshOnce(SmartIdentityProvider provider, AuthenticatedClientSessionModel clientSession, String launchId,
                               LaunchContext context) throws UpstreamException, RefusedException {
        SingleUseObjectProvider store = session.singleUseObjects();
        String lock = LOCK_PREFIX + clientSession.getRealm().getId() + "." + launchId;
        long deadline = System.currentTimeMillis() + provider.getConfig().readTimeoutMillis() + 5_000L;
        while (!store.putIfAbsent(lock, LOCK_SECONDS)) {
            // Another node is refreshing this launch: wait for it to commit, then use its result.
            if (System.currentTimeMillis() > deadline) {
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "another node's refresh of this launch did not finish");
            }
            sleep(POLL_MILLIS);
            if (!store.contains(lock)) {
                Optional<UpstreamTokens> committed = upstream.committedTokens(clientSession, launchId);
                if (committed.isEmpty()) {
                    throw new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's EHR authorization has ended", 0);
                }
                if (!committed.get().isDue(clock.getAsLong())) {
                    return new Result(committed.get(), context, false);
                }
            }
        }
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                store.remove(lock);
            }

            @Override
            protected void rollbackImpl() {
                store.remove(lock);
            }
        });
        // Re-read under the lock: a refresh committed by another node between our first read and the lock wins.
        UpstreamTokens current = upstream.committedTokens(clientSession, launchId)
                .orElseThrow(() -> new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's EHR authorization has ended", 0));
        long now = clock.getAsLong();
        if (!current.isDue(now)) {
            return new Result(current, context, false);
        }
        TokenResponse response;
        try {
            response = upstream.refresh(provider, current.refreshToken());
        } catch (UpstreamException e) {
            if (e.kind() == UpstreamException.Kind.INVALID_GRANT) {
                LaunchStore.forgetTokens(session, clientSession, context);
            }
            throw e;
        }
        UpstreamTokens refreshed = current.refreshed(response, now);
        LaunchStore.storeTokens(session, clientSession, context, refreshed);
        LOG.debugf("Refreshed EHR token of launch %s (IdP %s)%s", launchId, provider.getConfig().getAlias(),
                response.refreshToken() == null ? ", refresh token kept" : ", refresh token replaced");
        return new Result(refreshed, context, true);
    }

    /**
     * Ends every launch of {@code provider} in the user session ({@link LaunchStore#end}) and revokes their refresh
     * tokens at the tenant's revocation endpoint (RFC 7009), when discovery lists one. Best effort: Keycloak's logout
     * never fails because the EHR did.
     */
    public void revokeAll(UserSessionModel userSession, SmartIdentityProvider provider) {
        for (AuthenticatedClientSessionModel clientSession : userSession.getAuthenticatedClientSessions().values()) {
            for (String launchId : LaunchStore.launchIds(clientSession)) {
                Optional<StoredLaunch> stored = LaunchStore.launch(session, clientSession, launchId);
                if (stored.isEmpty() || !provider.getConfig().getAlias().equals(stored.get().context().idpAlias())) {
                    continue;
                }
                UpstreamTokens tokens = stored.get().tokens();
                LaunchStore.end(session, clientSession, stored.get().context());
                if (tokens != null && tokens.refreshToken() != null) {
                    revoke(provider, tokens.refreshToken(), launchId);
                }
            }
        }
    }

    private void revoke(SmartIdentityProvider provider, String refreshToken, String launchId) {
        try {
            SmartConfiguration configuration = provider.discover();
            if (configuration.revocationEndpoint() == null) {
                LOG.debugf("Tenant of IdP %s lists no revocation endpoint; launch %s's refresh token expires on its own",
                        provider.getConfig().getAlias(), launchId);
                return;
            }
            SimpleHttpRequest request = provider.withTimeouts(provider.revocationRequest(configuration.revocationEndpoint(), refreshToken));
            provider.services().metrics().upstream(session, provider.getConfig().getAlias(), SmartMetrics.Upstream.REVOCATION, () -> {
                try (SimpleHttpResponse response = request.asResponse()) {
                    if (response.getStatus() / 100 != 2) {
                        throw new UpstreamException(UpstreamException.Kind.TOKEN_ERROR, "the revocation endpoint answered HTTP " + response.getStatus());
                    }
                    return null;
                } catch (IOException e) {
                    throw UpstreamHttp.classify(e, request.getUrl());
                }
            });
            LOG.debugf("Revoked EHR refresh token of launch %s (IdP %s)", launchId, provider.getConfig().getAlias());
        } catch (UpstreamException e) {
            LOG.warnf("Could not revoke an EHR refresh token for IdP %s: %s", provider.getConfig().getAlias(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("Could not revoke an EHR refresh token for IdP %s: %s", provider.getConfig().getAlias(), e.getClass().getSimpleName());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keycloak's {@link Upstream}: the realm's enabled identity provider, a transaction of its own, HTTP. */
    private static final class KeycloakUpstream implements Upstream {

        private final KeycloakSession session;

        KeycloakUpstream(KeycloakSession session) {
            this.session = session;
        }

        @Override
        public Optional<SmartIdentityProvider> provider(String alias) {
            return SmartIdentityProviderFactory.enabledProvider(session, alias);
        }

        /** The launch's tokens as committed, read in a transaction of their own (this one may hold a stale copy). */
        @Override
        public Optional<UpstreamTokens> committedTokens(AuthenticatedClientSessionModel clientSession, String launchId) {
            String realmId = clientSession.getRealm().getId();
            String userSessionId = clientSession.getUserSession().getId();
            String clientUuid = clientSession.getClient().getId();
            boolean offline = clientSession.getUserSession().isOffline();
            return KeycloakModelUtils.runJobInTransactionWithResult(session.getKeycloakSessionFactory(), fresh -> {
                var realm = fresh.realms().getRealm(realmId);
                fresh.getContext().setRealm(realm);
                UserSessionModel userSession = offline ? fresh.sessions().getOfflineUserSession(realm, userSessionId)
                        : fresh.sessions().getUserSession(realm, userSessionId);
                AuthenticatedClientSessionModel cs = userSession == null ? null : userSession.getAuthenticatedClientSessionByClient(clientUuid);
                return cs == null ? Optional.<UpstreamTokens>empty() : LaunchStore.tokens(fresh, cs, launchId);
            });
        }

        @Override
        public TokenResponse refresh(SmartIdentityProvider provider, String refreshToken) throws UpstreamException {
            provider.discover();
            SimpleHttpRequest request = provider.withTimeouts(provider.refreshRequest(refreshToken));
            return provider.services().metrics().upstream(session, provider.getConfig().getAlias(), SmartMetrics.Upstream.TOKEN_REFRESH, () -> {
                try (SimpleHttpResponse response = request.asResponse()) {
                    int status = response.getStatus();
                    String body = response.asString();
                    if (status < 200 || status >= 300) {
                        throw TokenResponse.error(status, body, UpstreamException.Kind.TOKEN_ERROR);
                    }
                    return TokenResponse.parse(body);
                } catch (IOException e) {
                    throw UpstreamHttp.classify(e, request.getUrl());
                }
            });
        }
    }

    /** Carries a refusal out of the coordinator's supplier. */
    private static final class RefusalCarrier extends RuntimeException {

        private static final long serialVersionUID = 1L;
        private final RefusedException refusal;

        RefusalCarrier(RefusedException refusal) {
            super(refusal.getMessage(), refusal, false, false);
            this.refusal = refusal;
        }
    }
}
