package dev.smartbroker.smart.token;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.crypto.spec.SecretKeySpec;

import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.idp.SmartIdentityProvider;
import dev.smartbroker.smart.idp.SmartServices;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.testing.ClientSessions;
import dev.smartbroker.smart.testing.MemoryLaunchTable;
import dev.smartbroker.smart.token.LaunchTokens.Refusal;
import dev.smartbroker.smart.token.LaunchTokens.RefusedException;
import dev.smartbroker.smart.token.LaunchTokens.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeyManager;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransaction;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionProvider;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

/**
 * The refresh rules of {@link LaunchTokens} (docs/ehr/cerner.md §2.8) against an EHR fake, with the clock in the test's
 * hands. Each call runs like one Keycloak request: its own session, whose after-completion work runs when it returns.
 */
class LaunchTokensTest {

    private static final String ALIAS = "cerner-sandbox";
    private static final String LAUNCH = "0190f00d000-aaaaaaaaaaaaaaaa";
    private static final String OTHER_LAUNCH = "0190f00d001-bbbbbbbbbbbbbbbb";
    private static final long T0 = 1_800_000_000L;
    /** Cerner's access token lifetime (docs/ehr/cerner.md §2.5). */
    private static final long CERNER_LIFETIME = 570;

    private final AtomicLong clock = new AtomicLong(T0);
    private final Map<String, String> notes = new ConcurrentHashMap<>();
    private final MemorySingleUseObjects store = new MemorySingleUseObjects();
    private final MemoryLaunchTable table = new MemoryLaunchTable();
    private final KeyManager keys = mock(KeyManager.class);
    private final RealmModel realm = mock(RealmModel.class);
    private final ClientModel client = mock(ClientModel.class);
    private final AuthenticatedClientSessionModel clientSession = ClientSessions.withNotes(realm, client, notes);
    private final SmartTenantConfig config = mock(SmartTenantConfig.class);
    private final SmartIdentityProvider provider = mock(SmartIdentityProvider.class);
    private final Ehr ehr = new Ehr();
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        when(realm.getId()).thenReturn("realm-id");
        when(realm.getName()).thenReturn("smart");
        when(client.getId()).thenReturn("client-uuid");

        KeyWrapper key = aes();
        when(keys.getActiveKey(realm, KeyUse.ENC, Algorithm.AES)).thenReturn(key);
        when(keys.getKey(eq(realm), eq(key.getKid()), eq(KeyUse.ENC), eq(Algorithm.AES))).thenReturn(key);

        when(config.getAlias()).thenReturn(ALIAS);
        when(config.minRefreshIntervalSeconds()).thenReturn(60);
        when(config.readTimeoutMillis()).thenReturn(10_000);
        when(provider.getConfig()).thenReturn(config);
        when(provider.services()).thenReturn(new SmartServices(null, null, null, new SingleFlight(), null, SmartMetrics.off()));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (pool != null) {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(5, SECONDS)).isTrue();
        }
    }

    // ---------------------------------------------------------------- when a refresh is due

    @Test
    void a_token_that_is_not_due_is_returned_as_is_without_asking_the_ehr() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        clock.set(T0 + CERNER_LIFETIME - 61);

        Result result = fetch(LAUNCH);

        assertThat(result.refreshed()).isFalse();
        assertThat(result.tokens().accessToken()).isEqualTo("at-0");
        assertThat(result.context().launchId()).isEqualTo(LAUNCH);
        assertThat(ehr.calls.get()).isZero();
    }

    @Test
    void a_minute_before_expiry_the_token_is_refreshed_upstream_and_stored() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        long due = T0 + CERNER_LIFETIME - 60;
        clock.set(due);

        Result result = fetch(LAUNCH);

        assertThat(result.refreshed()).isTrue();
        assertThat(result.tokens().accessToken()).isEqualTo("at-1");
        assertThat(result.tokens().expiresAt()).isEqualTo(due + CERNER_LIFETIME);
        assertThat(result.tokens().refreshedAt()).isEqualTo(due);
        assertThat(ehr.refreshTokensSent).containsExactly("rt-0");
        assertThat(stored(LAUNCH)).isEqualTo(result.tokens());
        assertThat(refreshLocks()).as("the cross-node lock is released when the request completes").isEmpty();

        clock.set(due + 1);
        assertThat(fetch(LAUNCH).tokens().accessToken()).isEqualTo("at-1");
        assertThat(ehr.calls.get()).isEqualTo(1);
    }

    @Test
    void a_refresh_response_without_a_refresh_token_keeps_the_old_one() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        ehr.answer = (rt, n) -> token("at-" + n, CERNER_LIFETIME, null);

        clock.set(T0 + 510);
        fetch(LAUNCH);
        assertThat(stored(LAUNCH).refreshToken()).isEqualTo("rt-0");
        clock.set(T0 + 510 + 510);
        fetch(LAUNCH);

        assertThat(ehr.refreshTokensSent).containsExactly("rt-0", "rt-0");
    }

    @Test
    void a_refresh_response_with_a_new_refresh_token_replaces_the_old_one() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        ehr.answer = (rt, n) -> token("at-" + n, CERNER_LIFETIME, "rt-" + n);

        clock.set(T0 + 510);
        fetch(LAUNCH);
        assertThat(stored(LAUNCH).refreshToken()).isEqualTo("rt-1");
        clock.set(T0 + 510 + 510);
        fetch(LAUNCH);

        assertThat(ehr.refreshTokensSent).containsExactly("rt-0", "rt-1");
        assertThat(stored(LAUNCH).refreshToken()).isEqualTo("rt-2");
    }

    // ---------------------------------------------------------------- the minimum interval between refreshes

    @Test
    void within_the_minimum_interval_a_due_but_still_valid_token_is_reused() throws Exception {
        // 30 s tokens are due 6 s (a fifth) before expiry, long before a minute has passed since their refresh.
        ehr.answer = (rt, n) -> token("at-" + n, 30, null);
        launch(LAUNCH, token("at-0", 30, "rt-0"));
        clock.set(T0 + 24);
        assertThat(fetch(LAUNCH).refreshed()).as("the first refresh of a launch is never throttled").isTrue();

        clock.set(T0 + 24 + 24);
        Result result = fetch(LAUNCH);

        assertThat(result.refreshed()).isFalse();
        assertThat(result.tokens().accessToken()).isEqualTo("at-1");
        assertThat(ehr.calls.get()).isEqualTo(1);
    }

    @Test
    void within_the_minimum_interval_an_expired_token_is_refused_with_the_seconds_left_to_wait() throws Exception {
        ehr.answer = (rt, n) -> token("at-" + n, 30, null);
        launch(LAUNCH, token("at-0", 30, "rt-0"));
        clock.set(T0 + 24);
        fetch(LAUNCH);

        clock.set(T0 + 24 + 30);
        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class, e -> {
            assertThat(e.refusal()).isEqualTo(Refusal.THROTTLED);
            assertThat(e.retryAfterSeconds()).isEqualTo(30);
        });
        clock.set(T0 + 24 + 59);
        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.retryAfterSeconds()).isEqualTo(1));
        assertThat(ehr.calls.get()).isEqualTo(1);

        clock.set(T0 + 24 + 60);
        Result result = fetch(LAUNCH);
        assertThat(result.refreshed()).isTrue();
        assertThat(result.tokens().accessToken()).isEqualTo("at-2");
        assertThat(ehr.calls.get()).isEqualTo(2);
    }

    @Test
    void the_interval_is_the_tenant_s_setting() throws Exception {
        when(config.minRefreshIntervalSeconds()).thenReturn(0);
        ehr.answer = (rt, n) -> token("at-" + n, 30, null);
        launch(LAUNCH, token("at-0", 30, "rt-0"));
        clock.set(T0 + 24);
        fetch(LAUNCH);

        clock.set(T0 + 24 + 24);
        assertThat(fetch(LAUNCH).refreshed()).isTrue();
        assertThat(ehr.calls.get()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- when the authorization ends

    @Test
    void invalid_grant_ends_the_launch_s_ehr_authorization() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        ehr.answer = (rt, n) -> {
            throw TokenResponse.error(400, "{\"error\":\"invalid_grant\"}", UpstreamException.Kind.TOKEN_ERROR);
        };
        clock.set(T0 + 510);

        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(UpstreamException.class,
                e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.INVALID_GRANT));

        assertThat(LaunchStore.tokens(session(new ArrayList<>()), clientSession, LAUNCH)).isEmpty();
        assertThat(LaunchStore.context(session(new ArrayList<>()), clientSession, LAUNCH)).as("the launch itself stays known").isPresent();
        assertThat(refreshLocks()).isEmpty();
        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.refusal()).isEqualTo(Refusal.RELAUNCH_REQUIRED));
        assertThat(ehr.calls.get()).isEqualTo(1);
    }

    @Test
    void any_other_failure_keeps_the_tokens_so_that_the_next_call_tries_again() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        ehr.answer = (rt, n) -> {
            if (n == 1) {
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "read timed out");
            }
            return token("at-" + n, CERNER_LIFETIME, null);
        };
        clock.set(T0 + 510);

        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(UpstreamException.class,
                e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT));
        assertThat(stored(LAUNCH).accessToken()).isEqualTo("at-0");
        assertThat(refreshLocks()).isEmpty();

        assertThat(fetch(LAUNCH).tokens().accessToken()).isEqualTo("at-2");
        assertThat(ehr.refreshTokensSent).containsExactly("rt-0", "rt-0");
    }

    @Test
    void without_a_refresh_token_the_token_serves_until_it_expires_then_the_app_must_relaunch() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, null));

        clock.set(T0 + CERNER_LIFETIME - 1);
        Result result = fetch(LAUNCH);
        assertThat(result.refreshed()).isFalse();
        assertThat(result.tokens().accessToken()).isEqualTo("at-0");

        clock.set(T0 + CERNER_LIFETIME);
        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.refusal()).isEqualTo(Refusal.RELAUNCH_REQUIRED));
        assertThat(ehr.calls.get()).isZero();
    }

    @Test
    void a_due_token_of_a_tenant_that_is_gone_or_disabled_is_not_refreshed() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        ehr.tenantEnabled = false;
        clock.set(T0 + 510);

        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.refusal()).isEqualTo(Refusal.RELAUNCH_REQUIRED));
        assertThat(ehr.calls.get()).isZero();
    }

    @Test
    void a_launch_this_client_session_does_not_know_is_not_found() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));

        assertThatThrownBy(() -> fetch(OTHER_LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.refusal()).isEqualTo(Refusal.LAUNCH_NOT_FOUND));
    }

    // ---------------------------------------------------------------- other requests and other nodes

    @Test
    void a_refresh_another_node_committed_meanwhile_is_used_instead_of_refreshing_again() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        clock.set(T0 + 510);
        UpstreamTokens theirs = UpstreamTokens.from(token("at-theirs", CERNER_LIFETIME, "rt-0"), T0 + 505);
        ehr.committed = () -> Optional.of(theirs);

        Result result = fetch(LAUNCH);

        assertThat(result.tokens()).isEqualTo(theirs);
        assertThat(result.refreshed()).isFalse();
        assertThat(ehr.calls.get()).isZero();
    }

    @Test
    void while_another_node_holds_the_refresh_lock_the_call_waits_for_that_node_s_result() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        clock.set(T0 + 510);
        UpstreamTokens theirs = UpstreamTokens.from(token("at-theirs", CERNER_LIFETIME, "rt-0"), T0 + 510);
        String lock = otherNodeRefreshes(() -> ehr.committed = () -> Optional.of(theirs));

        Result result = fetch(LAUNCH);

        assertThat(result.tokens().accessToken()).isEqualTo("at-theirs");
        assertThat(ehr.calls.get()).isZero();
        assertThat(store.contains(lock)).isFalse();
    }

    @Test
    void when_another_node_s_refresh_ended_the_authorization_the_waiting_call_is_told_to_relaunch() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        clock.set(T0 + 510);
        otherNodeRefreshes(() -> ehr.committed = Optional::empty);

        assertThatThrownBy(() -> fetch(LAUNCH)).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.refusal()).isEqualTo(Refusal.RELAUNCH_REQUIRED));
        assertThat(ehr.calls.get()).isZero();
    }

    @RepeatedTest(20)
    void concurrent_requests_for_one_launch_cause_one_upstream_refresh() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-0"));
        clock.set(T0 + 510);
        int callers = 8;
        CountDownLatch arrived = new CountDownLatch(callers);
        ehr.answer = (rt, n) -> {
            // Hold the refresh until every caller is on its way, so that they overlap with it.
            ehr.overlapped.compareAndSet(0, arrived.await(5, SECONDS) ? 1 : -1);
            return token("at-" + n, CERNER_LIFETIME, null);
        };
        pool = Executors.newFixedThreadPool(callers);
        List<Future<Result>> results = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            results.add(pool.submit(() -> {
                arrived.countDown();
                return fetch(LAUNCH);
            }));
        }

        for (Future<Result> result : results) {
            assertThat(result.get(10, SECONDS).tokens().accessToken()).isEqualTo("at-1");
        }
        assertThat(ehr.overlapped.get()).isEqualTo(1);
        assertThat(ehr.calls.get()).isEqualTo(1);
        assertThat(refreshLocks()).isEmpty();
    }

    @Test
    void two_launches_refresh_at_the_same_time_without_waiting_for_each_other() throws Exception {
        launch(LAUNCH, token("at-0", CERNER_LIFETIME, "rt-a"));
        launch(OTHER_LAUNCH, token("at-0", CERNER_LIFETIME, "rt-b"));
        clock.set(T0 + 510);
        CountDownLatch bothUpstream = new CountDownLatch(2);
        ehr.answer = (rt, n) -> {
            bothUpstream.countDown();
            // Returns only once the other launch's refresh is upstream too: one blocking the other would time out.
            if (!bothUpstream.await(5, SECONDS)) {
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "the other launch's refresh never started");
            }
            return token(rt.equals("rt-a") ? "at-a" : "at-b", CERNER_LIFETIME, null);
        };
        pool = Executors.newFixedThreadPool(2);

        Future<Result> a = pool.submit(() -> fetch(LAUNCH));
        Future<Result> b = pool.submit(() -> fetch(OTHER_LAUNCH));

        assertThat(a.get(10, SECONDS).tokens().accessToken()).isEqualTo("at-a");
        assertThat(b.get(10, SECONDS).tokens().accessToken()).isEqualTo("at-b");
        assertThat(ehr.calls.get()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- test rig

    /** One request: its own session; its after-completion work (the lock's release) runs when it is done. */
    private Result fetch(String launchId) throws UpstreamException, RefusedException {
        List<KeycloakTransaction> afterCompletion = new ArrayList<>();
        try {
            return new LaunchTokens(session(afterCompletion), clock::get, ehr).launchToken(clientSession, launchId);
        } finally {
            for (KeycloakTransaction transaction : afterCompletion) {
                transaction.begin();
                transaction.commit();
            }
        }
    }

    private KeycloakSession session(List<KeycloakTransaction> afterCompletion) {
        KeycloakSession session = mock(KeycloakSession.class);
        KeycloakTransactionManager transactions = mock(KeycloakTransactionManager.class);
        when(session.keys()).thenReturn(keys);
        when(session.singleUseObjects()).thenReturn(store);
        table.servedBy(session);
        when(session.getTransactionManager()).thenReturn(transactions);
        doAnswer(i -> afterCompletion.add(i.getArgument(0))).when(transactions).enlistAfterCompletion(any());
        return session;
    }

    /** A completed launch as the identity provider leaves it: context and tokens sealed in the client session. */
    private void launch(String launchId, TokenResponse first) {
        AuthenticationSessionModel authSession = mock(AuthenticationSessionModel.class);
        when(authSession.getRealm()).thenReturn(realm);
        when(authSession.getClient()).thenReturn(client);
        when(authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM)).thenReturn("challenge-" + launchId);
        // Keycloak copies the auth session's client notes into the client session when it issues the code.
        doAnswer(i -> notes.put(i.getArgument(0), i.getArgument(1))).when(authSession).setClientNote(anyString(), anyString());
        LaunchContext context = new LaunchContext(launchId, ALIAS, "tenant-1", "https://fhir/r4/tenant-1", null, "12724066", null,
                null, null, clock.get());
        when(authSession.getParentSession()).thenReturn(mock(RootAuthenticationSessionModel.class));
        KeycloakSession session = session(new ArrayList<>());
        when(session.sessions()).thenReturn(mock(UserSessionProvider.class));
        LaunchStore.stage(session, authSession, mock(UserModel.class), context, UpstreamTokens.from(first, clock.get()), LaunchStore.DEFAULT_LAUNCHES_KEPT);
    }

    private UpstreamTokens stored(String launchId) {
        return LaunchStore.tokens(session(new ArrayList<>()), clientSession, launchId).orElseThrow();
    }

    private List<String> refreshLocks() {
        return store.records.keySet().stream().filter(k -> k.startsWith("smart.refresh.")).toList();
    }

    /**
     * Another node holds this launch's refresh lock; when this node first looks whether it is still held, that node
     * has just finished: {@code commit} runs, then the lock is gone.
     */
    private String otherNodeRefreshes(Runnable commit) {
        String lock = "smart.refresh.realm-id." + LAUNCH;
        assertThat(store.putIfAbsent(lock, 70)).isTrue();
        store.onContains = key -> {
            if (key.equals(lock) && store.records.containsKey(lock)) {
                commit.run();
                store.records.remove(lock);
            }
        };
        return lock;
    }

    private static TokenResponse token(String accessToken, long expiresIn, String refreshToken) {
        return new TokenResponse(accessToken, "Bearer", expiresIn, "launch online_access patient/Patient.read", refreshToken,
                null, null, null, null, null, null, null, null);
    }

    private static KeyWrapper aes() {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 3 + 1);
        }
        KeyWrapper key = new KeyWrapper();
        key.setKid("aes-1");
        key.setAlgorithm(Algorithm.AES);
        key.setUse(KeyUse.ENC);
        key.setSecretKey(new SecretKeySpec(bytes, "AES"));
        return key;
    }

    interface Answer {
        TokenResponse answer(String refreshToken, int call) throws UpstreamException, InterruptedException;
    }

    /** The tenant as {@link LaunchTokens} sees it: its identity provider, the committed tokens, its token endpoint. */
    final class Ehr implements LaunchTokens.Upstream {

        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger overlapped = new AtomicInteger();
        final List<String> refreshTokensSent = Collections.synchronizedList(new ArrayList<>());
        volatile boolean tenantEnabled = true;
        volatile Answer answer = (rt, n) -> token("at-" + n, CERNER_LIFETIME, null);
        /** The tokens as another request or node committed them; by default what the client session holds. */
        volatile Supplier<Optional<UpstreamTokens>> committed;

        @Override
        public Optional<SmartIdentityProvider> provider(String alias) {
            return tenantEnabled && ALIAS.equals(alias) ? Optional.of(provider) : Optional.empty();
        }

        @Override
        public Optional<UpstreamTokens> committedTokens(AuthenticatedClientSessionModel cs, String launchId) {
            Supplier<Optional<UpstreamTokens>> override = committed;
            return override != null ? override.get() : LaunchStore.tokens(session(new ArrayList<>()), cs, launchId);
        }

        @Override
        public TokenResponse refresh(SmartIdentityProvider p, String refreshToken) throws UpstreamException {
            assertThat(p).isSameAs(provider);
            int call = calls.incrementAndGet();
            refreshTokensSent.add(refreshToken);
            try {
                return answer.answer(refreshToken, call);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "interrupted");
            }
        }
    }
}
