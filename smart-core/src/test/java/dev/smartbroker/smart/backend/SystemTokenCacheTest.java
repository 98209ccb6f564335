package dev.smartbroker.smart.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SystemTokenCacheTest {

    private static final long T0 = 1_800_000_000L;
    private static final List<String> SCOPES = List.of("system/Patient.read", "system/Observation.read");

    private final SystemTokenCache cache = new SystemTokenCache();

    /** A token as the endpoint keeps it: fetched at {@code fetchedAt}, valid for {@code lifetime} seconds. */
    private static SystemTokenCache.Entry token(String accessToken, long fetchedAt, long lifetime) {
        return new SystemTokenCache.Entry(accessToken, String.join(" ", SCOPES), fetchedAt + lifetime, lifetime);
    }

    // ---------------------------------------------------------------- how long a token is reused

    @ParameterizedTest(name = "a {0} s token is reused for {1} s")
    @CsvSource({
            "570, 510", // Cerner's system tokens (docs/ehr/cerner.md §2.5, §3.3): a minute before expiry
            "300, 240", // a fifth is a minute here too
            "100,  80", // shorter lifetimes: a fifth before expiry
            " 10,   8",
            "  3,   2", // at least one second before expiry
    })
    void a_token_is_reused_until_shortly_before_it_expires(long lifetime, long reusedFor) {
        String key = SystemTokenCache.key("realm-id", "cerner-sandbox", SCOPES);
        cache.put(key, token("at-1", T0, lifetime));

        assertThat(cache.fresh(key, T0)).get().extracting(SystemTokenCache.Entry::accessToken).isEqualTo("at-1");
        assertThat(cache.fresh(key, T0 + reusedFor - 1)).isPresent();
        assertThat(cache.fresh(key, T0 + reusedFor)).isEmpty();
    }

    @Test
    void a_token_without_a_lifetime_is_never_reused() {
        String key = SystemTokenCache.key("realm-id", "cerner-sandbox", SCOPES);
        cache.put(key, token("at-1", T0, 0));

        assertThat(cache.fresh(key, T0)).isEmpty();
    }

    @Test
    void a_token_no_longer_fresh_is_dropped_when_looked_up() {
        String key = SystemTokenCache.key("realm-id", "cerner-sandbox", SCOPES);
        cache.put(key, token("at-1", T0, 570));

        assertThat(cache.fresh(key, T0 + 510)).isEmpty();
        assertThat(cache.size()).isZero();
        assertThat(cache.fresh(key, T0)).as("gone, not merely hidden").isEmpty();
    }

    @Test
    void a_newer_token_replaces_the_one_under_its_key() {
        String key = SystemTokenCache.key("realm-id", "cerner-sandbox", SCOPES);
        cache.put(key, token("at-1", T0, 570));
        cache.put(key, token("at-2", T0 + 10, 570));

        assertThat(cache.fresh(key, T0 + 11)).get().extracting(SystemTokenCache.Entry::accessToken).isEqualTo("at-2");
        assertThat(cache.size()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- what is one key

    @Test
    void the_same_scopes_in_another_order_or_repeated_are_the_same_key() {
        String key = SystemTokenCache.key("realm-id", "cerner-sandbox", List.of("system/Patient.read", "system/Observation.read"));

        assertThat(SystemTokenCache.key("realm-id", "cerner-sandbox", List.of("system/Observation.read", "system/Patient.read")))
                .isEqualTo(key);
        assertThat(SystemTokenCache.key("realm-id", "cerner-sandbox",
                List.of("system/Observation.read", "system/Patient.read", "system/Observation.read"))).isEqualTo(key);
        assertThat(SystemTokenCache.key("realm-id", "cerner-sandbox", Set.of("system/Patient.read", "system/Observation.read")))
                .isEqualTo(key);
    }

    @Test
    void another_realm_tenant_or_scope_set_is_another_key() {
        cache.put(SystemTokenCache.key("realm-a", "cerner-sandbox", SCOPES), token("at-realm-a", T0, 570));

        assertThat(cache.fresh(SystemTokenCache.key("realm-b", "cerner-sandbox", SCOPES), T0)).isEmpty();
        assertThat(cache.fresh(SystemTokenCache.key("realm-a", "cerner-second-hospital", SCOPES), T0)).isEmpty();
        assertThat(cache.fresh(SystemTokenCache.key("realm-a", "cerner-sandbox", List.of("system/Patient.read")), T0))
                .as("a subset of the scopes").isEmpty();
        assertThat(cache.fresh(SystemTokenCache.key("realm-a", "cerner-sandbox",
                List.of("system/Patient.read", "system/Observation.read", "system/Encounter.read")), T0)).as("a superset").isEmpty();
        assertThat(cache.fresh(SystemTokenCache.key("realm-a", "cerner-sandbox", SCOPES), T0)).isPresent();
    }

    @Test
    void no_realm_id_alias_or_scope_can_make_two_keys_meet() {
        // Keycloak allows '|' and spaces are the only thing a scope cannot contain; realm ids may be chosen at import.
        List<String> keys = List.of(
                SystemTokenCache.key("r", "a", List.of("b|c")),
                SystemTokenCache.key("r", "a|b", List.of("c")),
                SystemTokenCache.key("r|a", "b", List.of("c")),
                SystemTokenCache.key("r", "a", List.of("b", "c")),
                SystemTokenCache.key("r", "a", List.of("b c")),
                SystemTokenCache.key("r", "1:a", List.of("c")),
                SystemTokenCache.key("r1:", "a", List.of("c")),
                SystemTokenCache.key("r", "a", List.of("1:c")),
                SystemTokenCache.key("r", "a1:c", List.of()),
                SystemTokenCache.key("r", "a", List.of()));
        assertThat(new HashSet<>(keys)).hasSameSizeAs(keys);
    }

    // ---------------------------------------------------------------- bounds

    @Test
    void a_full_cache_keeps_no_new_key_but_still_renews_the_keys_it_holds() {
        List<String> keys = fill(T0, 570);
        String newcomer = SystemTokenCache.key("realm-id", "cerner-sandbox", List.of("system/Newcomer.read"));

        cache.put(newcomer, token("at-new", T0 + 1, 570));
        assertThat(cache.fresh(newcomer, T0 + 1)).as("used by its caller, not kept").isEmpty();
        assertThat(cache.size()).isEqualTo(SystemTokenCache.MAX_ENTRIES);

        cache.put(keys.get(0), token("at-renewed", T0 + 1, 570));
        assertThat(cache.fresh(keys.get(0), T0 + 2)).get().extracting(SystemTokenCache.Entry::accessToken).isEqualTo("at-renewed");
    }

    @Test
    void when_full_a_lookup_drops_every_stale_entry_and_makes_room() {
        fill(T0, 100);
        List<String> later = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            later.add(SystemTokenCache.key("realm-id", "cerner-sandbox", List.of("system/Later" + i + ".read")));
        }
        // The first half of the cache expires earlier: replace it with tokens fetched 50 s later.
        List<String> filled = keysOf(SystemTokenCache.MAX_ENTRIES);
        for (String key : filled.subList(0, SystemTokenCache.MAX_ENTRIES / 2)) {
            cache.put(key, token("at-later", T0 + 50, 100));
        }

        long now = T0 + 80; // the tokens fetched at T0 are no longer fresh, those fetched at T0 + 50 still are
        assertThat(cache.fresh(later.get(0), now)).isEmpty();
        assertThat(cache.size()).isEqualTo(SystemTokenCache.MAX_ENTRIES / 2);
        for (String key : later) {
            cache.put(key, token("at-" + key, now, 100));
        }
        assertThat(cache.fresh(later.get(9), now)).isPresent();
        assertThat(cache.fresh(filled.get(0), now)).isPresent();
        assertThat(cache.fresh(filled.get(SystemTokenCache.MAX_ENTRIES - 1), now)).isEmpty();
    }

    private List<String> fill(long fetchedAt, long lifetime) {
        List<String> keys = keysOf(SystemTokenCache.MAX_ENTRIES);
        for (String key : keys) {
            cache.put(key, token("at-" + key, fetchedAt, lifetime));
        }
        assertThat(cache.size()).isEqualTo(SystemTokenCache.MAX_ENTRIES);
        return keys;
    }

    private static List<String> keysOf(int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(SystemTokenCache.key("realm-id", "cerner-sandbox", List.of("system/Patient.read", "system/Scope" + i + ".read")));
        }
        return keys;
    }
}
