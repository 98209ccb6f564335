package dev.smartbroker.smart.token;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.keycloak.models.SingleUseObjectProvider;

/** Keycloak's replicated single-use store, in memory and atomic per key like the real one; lifespans are not enforced. */
class MemorySingleUseObjects implements SingleUseObjectProvider {

    final Map<String, Map<String, String>> records = new ConcurrentHashMap<>();
    /** Runs before each {@link #contains}, e.g. to let another node finish. */
    volatile Consumer<String> onContains = key -> { };

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
        onContains.accept(key);
        return records.containsKey(key);
    }

    @Override
    public void close() {
    }
}
