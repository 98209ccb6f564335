package dev.smartbroker.smart.backend;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * System tokens obtained from EHR tenants, per node, keyed by realm, tenant and the exact scope set. A client only
 * reaches an entry after its own grant allowed every scope of the key, so no client receives a token carrying a
 * scope it was not allowed. Losing the cache (restart, another node) costs one upstream call, never an error.
 *
 * <p>Bounded: clients choose their scope sets, so a client allowed many scopes could otherwise fill a node with entries
 * that are never looked up again. Once {@value #MAX_ENTRIES} entries are kept, a lookup first drops every entry that is
 * no longer fresh; while the cache is still full, a token for a new key is used without being kept.
 */
public final class SystemTokenCache {

    /** Far above realms x tenants x scope sets in use; a few megabytes of tokens. */
    static final int MAX_ENTRIES = 1_000;

    public record Entry(String accessToken, String scope, long expiresAt, long lifetime) {

        /** Reused until shortly before expiry: a minute for Cerner's 570 s tokens, a fifth of shorter lifetimes. */
        boolean isFresh(long now) {
            long ahead = Math.min(60, Math.max(1, lifetime / 5));
            return expiresAt - ahead > now;
        }

        @Override
        public String toString() {
            return "Entry[scope=" + scope + ", expiresAt=" + expiresAt + "]";
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /**
     * The key of a system token: realm, tenant and the exact scope set, in any order and without repeats. Each part is
     * prefixed with its length, so that no realm id, alias or scope containing a separator can make two keys meet.
     */
    public static String key(String realmId, String tenantAlias, Collection<String> scopes) {
        StringBuilder key = new StringBuilder();
        part(key, realmId);
        part(key, tenantAlias);
        for (String scope : new TreeSet<>(scopes)) {
            part(key, scope);
        }
        return key.toString();
    }

    private static void part(StringBuilder key, String value) {
        key.append(value.length()).append(':').append(value);
    }

    public Optional<Entry> fresh(String key, long now) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.values().removeIf(e -> !e.isFresh(now));
        }
        Entry entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (!entry.isFresh(now)) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry);
    }

    public void put(String key, Entry entry) {
        if (entries.size() >= MAX_ENTRIES && !entries.containsKey(key)) {
            return;
        }
        entries.put(key, entry);
    }

    public int size() {
        return entries.size();
    }
}
