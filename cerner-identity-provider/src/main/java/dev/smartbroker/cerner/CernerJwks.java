package dev.smartbroker.cerner;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.jose.jwk.JSONWebKeySet;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.models.KeycloakSession;
import org.keycloak.util.JWKSUtils;
import org.keycloak.util.JsonSerialization;

/**
 * Cerner's id_token signing keys, cached per JWKS URL, with a bounded refetch on an unknown {@code kid}.
 *
 * <p>Cerner has been seen signing with a {@code kid} that its JWKS publishes only moments later
 * (docs/ehr/cerner.md §2.7). Keycloak's own key cache refuses to refetch more often than every 10 s, which
 * would fail those logins; this cache instead retries with short pauses within a fixed window, and never
 * pins keys. Like discovery it is a per-node cache held by the provider factory: losing it costs a refetch.
 */
final class CernerJwks {

    private static final Logger LOG = Logger.getLogger(CernerJwks.class);
    /** Pauses between attempts after an unknown kid; their sum bounds how long a login may wait. */
    private static final long[] RETRY_PAUSES_MILLIS = {0, 300, 700, 1000, 1000};

    private final long ttlMillis;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private record Entry(Map<String, KeyWrapper> keys, long fetchedAt) {
    }

    CernerJwks(long ttlMillis) {
        this.ttlMillis = ttlMillis;
    }

    /**
     * The key for {@code kid}, refetching the JWKS when the kid is unknown or the cached set is stale.
     * Returns null when the kid is still unknown after the retry window.
     */
    KeyWrapper key(KeycloakSession session, CernerIdentityProviderConfig config, String jwksUrl, String kid) {
        if (kid == null) {
            return null;
        }
        Entry entry = cache.get(jwksUrl);
        long now = Time.currentTimeMillis();
        if (entry != null && now - entry.fetchedAt() < ttlMillis && entry.keys().containsKey(kid)) {
            return entry.keys().get(kid).cloneKey();
        }
        for (long pause : RETRY_PAUSES_MILLIS) {
            if (pause > 0) {
                sleep(pause);
            }
            Entry refreshed = refresh(session, config, jwksUrl, entry);
            if (refreshed != null) {
                entry = refreshed;
                KeyWrapper key = refreshed.keys().get(kid);
                if (key != null) {
                    return key.cloneKey();
                }
            }
        }
        LOG.warnf("Cerner JWKS of IdP %s does not publish the id_token's kid %s after retrying", config.getAlias(), kid);
        return null;
    }

    @SuppressWarnings("deprecation") // JWKSUtils still takes JWK.Use
    private Entry refresh(KeycloakSession session, CernerIdentityProviderConfig config, String jwksUrl, Entry seen) {
        synchronized (locks.computeIfAbsent(jwksUrl, k -> new Object())) {
            Entry current = cache.get(jwksUrl);
            if (current != null && current != seen) {
                // Another request refreshed the set while this one waited: use that fetch.
                return current;
            }
            try (SimpleHttpResponse response = CernerHttp.client(session, config).doGet(jwksUrl)
                    .header("Accept", "application/json").asResponse()) {
                if (response.getStatus() != 200) {
                    LOG.warnf("Cerner JWKS %s answered HTTP %d (IdP %s)", jwksUrl, response.getStatus(), config.getAlias());
                    return null;
                }
                JSONWebKeySet set = JsonSerialization.readValue(response.asString(), JSONWebKeySet.class);
                Map<String, KeyWrapper> keys = new HashMap<>();
                if (set != null && set.getKeys() != null) {
                    // Cerner's JWKs carry neither "use" nor "alg" (docs/ehr/cerner.md §7): treat them as signing keys.
                    JWKSUtils.getKeyWrappersForUse(set, JWK.Use.SIG, true).getKeys()
                            .forEach(k -> keys.put(k.getKid(), k));
                }
                Entry fresh = new Entry(Map.copyOf(keys), Time.currentTimeMillis());
                cache.put(jwksUrl, fresh);
                LOG.debugf("Fetched Cerner JWKS %s: %d keys", jwksUrl, keys.size());
                return fresh;
            } catch (IOException | RuntimeException e) {
                LOG.warnf("Could not fetch Cerner JWKS %s for IdP %s: %s", jwksUrl, config.getAlias(), e.getClass().getSimpleName());
                return null;
            }
        }
    }

    int size() {
        return cache.size();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
