package dev.smartbroker.smart.claims;

import java.util.Optional;
import java.util.function.Supplier;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import org.jboss.logging.Logger;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.protocol.oidc.token.TokenPostProcessor;
import org.keycloak.protocol.oidc.token.TokenPostProcessorContext;
import org.keycloak.protocol.oidc.utils.OAuth2Code;
import org.keycloak.representations.RefreshToken;
import org.keycloak.util.TokenUtil;

/**
 * Binds the tokens of a launch to that launch: writes its id as the {@code smart_launch} claim into the access and
 * refresh tokens Keycloak is about to sign, at code exchange (from the code's PKCE challenge) and at every refresh
 * (from the refresh token being redeemed). Refreshed tokens therefore keep their own launch whatever other launches
 * happen in the browser (docs/launch-isolation.md, experiment 4). It also drops the code's binding record once used; the
 * client session's launch list is kept bounded where launches are added ({@link LaunchStore#stage}), so that an exchange
 * writes nothing to the client session that Keycloak itself would not. An exchange that asks for {@code offline_access}
 * marks its launch's row to live as long as the offline session ({@link LaunchStore#keepForOffline}).
 */
final class SmartLaunchTokenPostProcessor implements TokenPostProcessor {

    private static final Logger LOG = Logger.getLogger(SmartLaunchTokenPostProcessor.class);

    private final KeycloakSession session;

    SmartLaunchTokenPostProcessor(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public void process(TokenPostProcessorContext context) {
        ClientSessionContext clientSessionCtx = context.clientSessionCtx();
        if (clientSessionCtx == null || clientSessionCtx.getClientSession() == null) {
            return;
        }
        AuthenticatedClientSessionModel clientSession = clientSessionCtx.getClientSession();
        OAuth2Code code = context.code();
        Optional<LaunchContext> launch;
        if (code != null) {
            launch = answer(clientSessionCtx, () -> LaunchStore.boundLaunch(session, clientSession.getClient(), code.getCodeChallenge())
                    .flatMap(bound -> LaunchStore.context(session, clientSession, bound)));
            LaunchStore.releaseBinding(session, code.getCodeChallenge());
            if (launch.isPresent() && TokenUtil.isOfflineTokenRequested(clientSessionCtx.getScopeString())) {
                LaunchStore.keepForOffline(session, clientSession, launch.get().launchId());
            }
        } else if (context.requestRefreshToken() != null) {
            launch = answer(clientSessionCtx, () -> launchOf(context.requestRefreshToken())
                    .flatMap(id -> LaunchStore.context(session, clientSession, id)));
        } else {
            launch = LaunchBinding.resolve(session, clientSessionCtx);
        }
        launch.ifPresent(l -> {
            if (context.accessToken() != null) {
                context.accessToken().getOtherClaims().put(Smart.CLAIM_LAUNCH_ID, l.launchId());
            }
            if (context.refreshToken() != null) {
                context.refreshToken().getOtherClaims().put(Smart.CLAIM_LAUNCH_ID, l.launchId());
            }
            LOG.tracef("Tokens of client %s bound to launch %s", clientSession.getClient().getClientId(), l.launchId());
        });
    }

    /**
     * The launch of this token response: as the mappers already decided it (from the same verifier or refresh token),
     * or by {@code lookup} when no mapper ran; remembered for whatever runs after.
     */
    private Optional<LaunchContext> answer(ClientSessionContext clientSessionCtx, Supplier<Optional<LaunchContext>> lookup) {
        Optional<LaunchContext> launch = LaunchBinding.answered(clientSessionCtx) ? LaunchBinding.resolve(session, clientSessionCtx) : lookup.get();
        LaunchBinding.remember(clientSessionCtx, launch);
        return launch;
    }

    private static Optional<String> launchOf(RefreshToken token) {
        Object value = token.getOtherClaims().get(Smart.CLAIM_LAUNCH_ID);
        return value instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }
}
