package dev.smartbroker.cerner;

import java.io.IOException;
import java.util.Optional;

import org.jboss.logging.Logger;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.SingleUseObjectProvider;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;

/**
 * Cerner's access token of one launch, kept fresh by Cerner's rules (docs/ehr/cerner.md §2.8):
 * <ul>
 *   <li>refresh only when the token is expired or about to expire;</li>
 *   <li>keep the refresh token when the response carries none (Cerner never sends one), replace it when one comes;</li>
 *   <li>never refresh one launch more often than the tenant's minimum interval (60 s by default): while the
 *       token is still valid it is returned as is, and an expired one waits;</li>
 *   <li>concurrent callers cause one upstream refresh: a single flight per node and a lock in Keycloak's
 *       replicated single-use store across nodes;</li>
 *   <li>{@code invalid_grant} on refresh ends the launch's Cerner authorization ({@code online_access} ends with
 *       the clinician's EHR session): the tokens are dropped and callers are told to relaunch.</li>
 * </ul>
 */
final class CernerTokenService {

    private static final Logger LOG = Logger.getLogger(CernerTokenService.class);
    private static final String LOCK_PREFIX = "smart.refresh.";
    private static final long LOCK_SECONDS = 70;
    private static final long POLL_MILLIS = 150;

    /** Outcome of a token request. */
    record Result(CernerTokens tokens, LaunchContext context, boolean refreshed) {
    }

    /** Why no token can be given, in API terms. */
    enum Refusal {
        LAUNCH_NOT_FOUND, RELAUNCH_REQUIRED, THROTTLED
    }

    static final class RefusedException extends Exception {

        private static final long serialVersionUID = 1L;
        private final Refusal refusal;
        private final long retryAfterSeconds;

        RefusedException(Refusal refusal, String message, long retryAfterSeconds) {
            super(message);
            this.refusal = refusal;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        Refusal refusal() {
            return refusal;
        }

        long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    private final KeycloakSession session;
    private final CernerServices services;
    private final CernerIdentityProviderFactory factory;

    CernerTokenService(KeycloakSession session, CernerIdentityProviderFactory factory) {
        this.session = session;
        this.factory = factory;
        this.services = factory.services();
    }

    /** The launch's Cerner token, refreshed upstream when due. */
    Result launchToken(AuthenticatedClientSessionModel clientSession, String launchId) throws CernerException, RefusedException {
        LaunchContext context = LaunchStore.context(session, clientSession, launchId)
                .orElseThrow(() -> new RefusedException(Refusal.LAUNCH_NOT_FOUND, "launch not found in this session", 0));
        CernerTokens tokens = LaunchStore.tokens(session, clientSession, launchId)
                .orElseThrow(() -> new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's Cerner authorization has ended", 0));
        long now = CernerIdentityProvider.now();
        if (!tokens.isDue(now)) {
            return new Result(tokens, context, false);
        }
        CernerIdentityProvider provider = provider(context.idpAlias())
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
                // Cerner throttles refreshes more often than once a minute: the still-valid token will do.
                return new Result(tokens, context, false);
            }
            throw new RefusedException(Refusal.THROTTLED, "refreshed less than " + interval + " s ago", interval - sinceRefresh);
        }
        String key = clientSession.getRealm().getId() + ":" + launchId;
        try {
            return services.coordinator().once(key, provider.getConfig().readTimeoutMillis() + 5_000L, () -> {
                try {
                    return refreshOnce(provider, clientSession, launchId, context);
                } catch (CernerException e) {
                    throw new RefreshCoordinator.CernerCallFailure(e);
                } catch (RefusedException e) {
                    throw new RefusalCarrier(e);
                }
            });
        } catch (RefusalCarrier carrier) {
            throw carrier.refusal;
        }
    }

    private Result refreshOnce(CernerIdentityProvider provider, AuthenticatedClientSessionModel clientSession, String launchId,
                               LaunchContext context) throws CernerException, RefusedException {
        SingleUseObjectProvider store = session.singleUseObjects();
        String lock = LOCK_PREFIX + clientSession.getRealm().getId() + "." + launchId;
        long deadline = System.currentTimeMillis() + provider.getConfig().readTimeoutMillis() + 5_000L;
        while (!store.putIfAbsent(lock, LOCK_SECONDS)) {
            // Another node is refreshing this launch: wait for it to commit, then use its result.
            if (System.currentTimeMillis() > deadline) {
                throw new CernerException(CernerException.Kind.TIMEOUT, "another node's refresh of this launch did not finish");
            }
            sleep(POLL_MILLIS);
            if (!store.contains(lock)) {
                Optional<CernerTokens> committed = committedTokens(clientSession, launchId);
                if (committed.isEmpty()) {
                    throw new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's Cerner authorization has ended", 0);
                }
                if (!committed.get().isDue(CernerIdentityProvider.now())) {
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
        CernerTokens current = committedTokens(clientSession, launchId)
                .orElseThrow(() -> new RefusedException(Refusal.RELAUNCH_REQUIRED, "the launch's Cerner authorization has ended", 0));
        long now = CernerIdentityProvider.now();
        if (!current.isDue(now)) {
            return new Result(current, context, false);
        }
        CernerTokenResponse response;
        try {
            response = refresh(provider, current.refreshToken());
        } catch (CernerException e) {
            if (e.kind() == CernerException.Kind.INVALID_GRANT) {
                LaunchStore.forgetTokens(clientSession, launchId);
            }
            throw e;
        }
        CernerTokens refreshed = current.refreshed(response, now);
        LaunchStore.storeTokens(session, clientSession, launchId, refreshed);
        LOG.debugf("Refreshed Cerner token of launch %s (IdP %s)%s", launchId, provider.getConfig().getAlias(),
                response.refreshToken() == null ? ", refresh token kept" : ", refresh token replaced");
        return new Result(refreshed, context, true);
    }

    /** The launch's tokens as committed, read in a transaction of their own (this one may hold a stale copy). */
    private Optional<CernerTokens> committedTokens(AuthenticatedClientSessionModel clientSession, String launchId) {
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
            return cs == null ? Optional.<CernerTokens>empty() : LaunchStore.tokens(fresh, cs, launchId);
        });
    }

    private CernerTokenResponse refresh(CernerIdentityProvider provider, String refreshToken) throws CernerException {
        provider.discover();
        SimpleHttpRequest request = provider.withTimeouts(provider.refreshRequest(refreshToken));
        try (SimpleHttpResponse response = request.asResponse()) {
            int status = response.getStatus();
            String body = response.asString();
            if (status < 200 || status >= 300) {
                throw CernerTokenResponse.error(status, body, CernerException.Kind.TOKEN_ERROR);
            }
            return CernerTokenResponse.parse(body);
        } catch (IOException e) {
            throw CernerHttp.classify(e, request.getUrl());
        }
    }

    /**
     * Revokes the refresh tokens of every launch of {@code idpAlias} in the user session at the tenant's revocation
     * endpoint (RFC 7009), when discovery lists one. Best effort: Keycloak's logout never fails because Cerner did.
     */
    void revokeAll(UserSessionModel userSession, CernerIdentityProvider provider) {
        for (AuthenticatedClientSessionModel clientSession : userSession.getAuthenticatedClientSessions().values()) {
            for (String launchId : LaunchStore.launchIds(clientSession)) {
                Optional<LaunchContext> context = LaunchStore.context(session, clientSession, launchId);
                if (context.isEmpty() || !provider.getConfig().getAlias().equals(context.get().idpAlias())) {
                    continue;
                }
                Optional<CernerTokens> tokens = LaunchStore.tokens(session, clientSession, launchId);
                LaunchStore.forgetTokens(clientSession, launchId);
                if (tokens.isPresent() && tokens.get().refreshToken() != null) {
                    revoke(provider, tokens.get().refreshToken(), launchId);
                }
            }
        }
    }

    private void revoke(CernerIdentityProvider provider, String refreshToken, String launchId) {
        try {
            SmartConfiguration configuration = provider.discover();
            if (configuration.revocationEndpoint() == null) {
                LOG.debugf("Tenant of IdP %s lists no revocation endpoint; launch %s's refresh token expires on its own",
                        provider.getConfig().getAlias(), launchId);
                return;
            }
            SimpleHttpRequest request = provider.withTimeouts(provider.revocationRequest(configuration.revocationEndpoint(), refreshToken));
            try (SimpleHttpResponse response = request.asResponse()) {
                if (response.getStatus() / 100 != 2) {
                    LOG.warnf("Cerner revocation for IdP %s answered HTTP %d", provider.getConfig().getAlias(), response.getStatus());
                } else {
                    LOG.debugf("Revoked Cerner refresh token of launch %s (IdP %s)", launchId, provider.getConfig().getAlias());
                }
            }
        } catch (CernerException e) {
            LOG.warnf("Could not revoke a Cerner refresh token for IdP %s: %s", provider.getConfig().getAlias(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Could not revoke a Cerner refresh token for IdP %s: %s", provider.getConfig().getAlias(), e.getClass().getSimpleName());
        }
    }

    Optional<CernerIdentityProvider> provider(String alias) {
        IdentityProviderModel model = alias == null ? null : session.identityProviders().getByAlias(alias);
        if (model == null || !model.isEnabled() || !CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId())) {
            return Optional.empty();
        }
        return Optional.of(factory.create(session, model));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
