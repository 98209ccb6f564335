package dev.smartbroker.smart.testing;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.keycloak.models.SingleUseObjectProvider;

/**
 * Keycloak's replicated single-use store, in memory: atomic per key like the real one ({@code remove} returns a
 * record to one caller only, {@code replace} only replaces a record that is there); lifespans are not enforced.
 */
public class MemorySingleUseObjects implements SingleUseObjectProvider {

    public final Map<String, Map<String, String>> records = new ConcurrentHashMap<>();

    @Override
    public void put(String key, long lifespanSeconds, Map<String, String> notes) {
        records.put(key, new HashMap<>(notes));
    }

    @Override
    public Map<String, String> get(String key) {
        return records.get(key);
    }

    @Override
    public Map<String, String> remove(String key) {
        return records.remove(key);
    }

    @Override
    public boolean replace(String key, Map<String, String> notes) {
        return records.replace(key, new HashMap<>(notes)) != null;
    }

    @Override
    public boolean putIfAbsent(String key, long lifespanSeconds) {
        return records.putIfAbsent(key, Map.of()) == null;
    }

    @Override
    public boolean contains(String key) {
        return records.containsKey(key);
    }

    @Override
    public void close() {
    }
}
