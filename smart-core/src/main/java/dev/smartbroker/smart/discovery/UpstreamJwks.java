package dev.smartbroker.smart.discovery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.crypto.KeyType;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.jose.jwk.JSONWebKeySet;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.models.KeycloakSession;
import org.keycloak.util.JWKSUtils;
import org.keycloak.util.JsonSerialization;

/**
 * The EHR's id_token signing keys, cached per JWKS URL, with a bounded refetch on an unknown {@code kid}.
 *
 * <p>Cerner has been seen signing with a {@code kid} that its JWKS publishes only moments later
 * (docs/ehr/cerner.md §2.7). Keycloak's own key cache refuses to refetch more often than every 10 s, which would fail
 * those logins; this cache instead looks again a few times within {@value #UNKNOWN_KID_BUDGET_MILLIS} ms. That budget
 * bounds the whole search, fetches included: a slow key endpoint cannot hold a clinician (or a worker thread) for
 * longer. Requests that meet an unknown kid at the same time share one fetch per URL and fail together. Like
 * discovery it is a per-node cache held by the provider factory: losing it costs a refetch; keys are never pinned.
 */
public final class UpstreamJwks {

    private static final Logger LOG = Logger.getLogger(UpstreamJwks.class);
    /** How long a login may look for an unknown kid, fetches included. */
    static final long UNKNOWN_KID_BUDGET_MILLIS = 3_000;
    /** Pauses before each look; the budget cuts them short. */
    private static final long[] PAUSES_MILLIS = {0, 500, 1_000};

    private final long ttlMillis;
    private final SmartMetrics metrics;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Entry>> inFlight = new ConcurrentHashMap<>();

    private record Entry(Map<String, KeyWrapper> keys, List<KeyWrapper> all, long fetchedAt) {

        /** The one key of the set that can verify {@code alg}, or null when there is none or more than one. */
        KeyWrapper onlyKeyFor(String alg) {
            List<KeyWrapper> candidates = all.stream().filter(k -> fits(k, alg)).toList();
            return candidates.size() == 1 ? candidates.get(0) : null;
        }

        private static boolean fits(KeyWrapper key, String alg) {
            if (alg == null || key.getType() == null) {
                return false;
            }
            if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
                return false;
            }
            return alg.startsWith("RS") || alg.startsWith("PS") ? KeyType.RSA.equals(key.getType())
                    : alg.startsWith("ES") && KeyType.EC.equals(key.getType());
        }
    }

    public UpstreamJwks(long ttlMillis) {
        this(ttlMillis, SmartMetrics.off());
    }

    /** @param metrics times every fetch ({@link SmartMetrics.Upstream#JWKS}) */
    public UpstreamJwks(long ttlMillis, SmartMetrics metrics) {
        this.ttlMillis = ttlMillis;
        this.metrics = metrics;
    }

    /**
     * The key for {@code kid}, refetching the JWKS when the kid is unknown or the cached set is stale. Returns null when
     * the kid is still unknown when the budget runs out. An id_token without {@code kid} is verified only when the
     * profile allows it and the set holds exactly one key for its {@code alg} (docs/ehr/smart-app-launch.md §5).
     */
    public KeyWrapper key(KeycloakSession session, SmartTenantConfig config, String jwksUrl, String kid, String alg,
                          boolean allowWithoutKid) {
        if (kid == null) {
            if (!allowWithoutKid) {
                return null;
            }
            Entry entry = cache.get(jwksUrl);
            long now = Time.currentTimeMillis();
            if (entry == null || now - entry.fetchedAt() >= ttlMillis) {
                Entry fresh = fetchShared(session, config, jwksUrl, entry, now + UNKNOWN_KID_BUDGET_MILLIS);
                entry = fresh != null ? fresh : entry;
            }
            KeyWrapper key = entry == null ? null : entry.onlyKeyFor(alg);
            return key == null ? null : key.cloneKey();
        }
        return keyWithKid(session, config, jwksUrl, kid);
    }

    private KeyWrapper keyWithKid(KeycloakSession session, SmartTenantConfig config, String jwksUrl, String kid) {
        Entry entry = cache.get(jwksUrl);
        long start = Time.currentTimeMillis();
        if (entry != null && entry.keys().containsKey(kid)) {
            if (start - entry.fetchedAt() < ttlMillis) {
                return entry.keys().get(kid).cloneKey();
            }
            // Stale but known: refresh once; if the key endpoint fails, the key it published is still the key.
            Entry fresh = fetchShared(session, config, jwksUrl, entry, start + UNKNOWN_KID_BUDGET_MILLIS);
            KeyWrapper key = (fresh != null ? fresh : entry).keys().get(kid);
            return key == null ? null : key.cloneKey();
        }
        long deadline = start + UNKNOWN_KID_BUDGET_MILLIS;
        for (long pause : PAUSES_MILLIS) {
            if (pause > 0 && !sleepUntil(Math.min(Time.currentTimeMillis() + pause, deadline))) {
                break;
            }
            if (Time.currentTimeMillis() >= deadline) {
                break;
            }
            Entry fetched = fetchShared(session, config, jwksUrl, entry, deadline);
            if (fetched != null) {
                entry = fetched;
                KeyWrapper key = fetched.keys().get(kid);
                if (key != null) {
                    return key.cloneKey();
                }
            }
        }
        LOG.warnf("JWKS of IdP %s does not publish the id_token's kid %s (looked for %d ms)", config.getAlias(),
                SafeText.bounded(kid), Time.currentTimeMillis() - start);
        return null;
    }

    /**
     * A fetch of {@code jwksUrl} newer than {@code seen}: the one already in flight, or a new one; waits no longer than
     * {@code deadline}. Null when none succeeded in time.
     */
    private Entry fetchShared(KeycloakSession session, SmartTenantConfig config, String jwksUrl, Entry seen, long deadline) {
        Entry current = cache.get(jwksUrl);
        if (current != null && current != seen) {
            // Another request fetched the set while this one was not looking.
            return current;
        }
        CompletableFuture<Entry> mine = new CompletableFuture<>();
        CompletableFuture<Entry> running = inFlight.putIfAbsent(jwksUrl, mine);
        long remaining = deadline - Time.currentTimeMillis();
        if (running != null) {
            try {
                return running.get(Math.max(1, remaining), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        Entry fetched = null;
        try {
            fetched = fetch(session, config, jwksUrl, (int) Math.max(1, Math.min(remaining, config.readTimeoutMillis())));
            return fetched;
        } finally {
            mine.complete(fetched);
            inFlight.remove(jwksUrl, mine);
        }
    }

    /** The key set at {@code jwksUrl}, cached; null when it could not be read. */
    private Entry fetch(KeycloakSession session, SmartTenantConfig config, String jwksUrl, int timeoutMillis) {
        try {
            Entry fresh = metrics.upstream(session, config.getAlias(), SmartMetrics.Upstream.JWKS,
                    () -> download(session, config, jwksUrl, timeoutMillis));
            cache.put(jwksUrl, fresh);
            LOG.debugf("Fetched JWKS %s: %d keys", jwksUrl, fresh.keys().size());
            return fresh;
        } catch (UpstreamException e) {
            LOG.warnf("Could not fetch JWKS %s for IdP %s: %s", jwksUrl, config.getAlias(), e.getMessage());
            return null;
        }
    }

    @SuppressWarnings("deprecation") // JWKSUtils still takes JWK.Use
    private static Entry download(KeycloakSession session, SmartTenantConfig config, String jwksUrl, int timeoutMillis)
            throws UpstreamException {
        try (SimpleHttpResponse response = UpstreamHttp.client(session, Math.min(timeoutMillis, config.connectTimeoutMillis()), timeoutMillis)
                .doGet(jwksUrl).header("Accept", "application/json").asResponse()) {
            if (response.getStatus() != 200) {
                throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "HTTP " + response.getStatus() + " from the JWKS");
            }
            String body = response.asString();
            JSONWebKeySet set;
            try {
                set = JsonSerialization.readValue(body, JSONWebKeySet.class);
            } catch (IOException e) {
                throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "malformed JSON in the JWKS");
            }
            Map<String, KeyWrapper> keys = new HashMap<>();
            List<KeyWrapper> all = new ArrayList<>();
            if (set != null && set.getKeys() != null) {
                // Cerner's JWKs carry neither "use" nor "alg" (docs/ehr/cerner.md §7): treat them as signing keys.
                for (KeyWrapper key : JWKSUtils.getKeyWrappersForUse(set, JWK.Use.SIG, true).getKeys()) {
                    all.add(key);
                    if (key.getKid() != null) {
                        keys.put(key.getKid(), key);
                    }
                }
            }
            return new Entry(Map.copyOf(keys), List.copyOf(all), Time.currentTimeMillis());
        } catch (IOException e) {
            throw UpstreamHttp.classify(e, jwksUrl);
        } catch (RuntimeException e) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "unreadable JWKS: " + e.getClass().getSimpleName());
        }
    }

    public int size() {
        return cache.size();
    }

    /** Sleeps until {@code wakeAt} (epoch millis); false when interrupted. */
    private static boolean sleepUntil(long wakeAt) {
        long millis = wakeAt - Time.currentTimeMillis();
        if (millis <= 0) {
            return true;
        }
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
