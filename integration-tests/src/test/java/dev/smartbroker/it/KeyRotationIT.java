package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.OutboundFetch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's key-rotation runbook, run through the admin REST API while a backend job requests fresh system tokens
 * without pause: publish the next key, let Cerner (the simulator, caching the JWKS as its Cache-Control allows)
 * fetch it, switch signing, retire the old key. Not one request may fail. The JWKS max-age passes because the test
 * moves the clocks ({@link Clocks}), not because it waits.
 */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
class KeyRotationIT {

    private static final String COMPONENTS = "/realms/smart/components";
    /** Token requests the job completes in each phase of the rotation. */
    private static final int REQUESTS_PER_PHASE = 25;

    @Test
    void rotating_the_assertion_key_fails_no_token_request(Environment env) throws Exception {
        JsonNode old = component(env, "cerner-assertions-rs384");
        String realmId = env.admin().get("/realms/smart").json().path("id").asText();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        try (TenantOverride noCache = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("systemTokenCache", "false"));
             Clocks clocks = Clocks.of(env)) {
            Thread loop = new Thread(() -> {
                while (running.get()) {
                    Http.Reply reply = Http.postForm(env.realmUrl() + "/cerner/system-token",
                            Map.of("tenant", Environment.SANDBOX_IDP, "scope", "system/Patient.read"),
                            SystemTokenIT.JOB, SystemTokenIT.JOB_SECRET);
                    if (reply.status() == 200) {
                        succeeded.incrementAndGet();
                    } else {
                        failures.add(reply.status() + " " + reply.body());
                    }
                    answered.incrementAndGet();
                }
            }, "system-token-loop");
            // By position in the log, not by time: a test that moved the clocks left entries stamped ahead of real time.
            int rotationStart = env.simulator().requestLog().outbound().size();
            loop.start();
            try {
                awaitRequests(answered, REQUESTS_PER_PHASE);
                List<String> kidsBefore = publishedKids(env);

                // 1. Publish the next key: passive, so it is in the JWKS but signs nothing yet.
                env.admin().post(COMPONENTS, Map.of("name", "cerner-assertions-rs384-next", "providerId", "rsa-generated",
                        "providerType", "org.keycloak.keys.KeyProvider", "parentId", realmId,
                        "config", Map.of("priority", List.of("200"), "algorithm", List.of("RS384"), "keySize", List.of("2048"),
                                "active", List.of("false"), "enabled", List.of("true"))));
                List<String> kidsPublished = publishedKids(env);
                assertThat(kidsPublished).hasSize(kidsBefore.size() + 1).containsAll(kidsBefore);

                // 2. Let Cerner fetch it: at least the JWKS max-age, moved past instead of waited for.
                int fetchesBefore = env.simulator().requestLog().outbound().size();
                clocks.advance(pastCachedJwks(env));
                awaitJwksFetch(env, fetchesBefore, env.simulator().clock().instant());

                // 3. Switch signing: the new key active, the old one passive but still published.
                JsonNode next = component(env, "cerner-assertions-rs384-next");
                setActive(env, next, true);
                setActive(env, old, false);
                awaitRequests(answered, REQUESTS_PER_PHASE);

                // 4. Retire the old key.
                env.admin().delete(COMPONENTS + "/" + old.path("id").asText());
                awaitRequests(answered, REQUESTS_PER_PHASE);
                List<String> kidsAfter = publishedKids(env);
                assertThat(kidsAfter).hasSize(kidsBefore.size());
                assertThat(kidsAfter).doesNotContainAnyElementsOf(kidsPublished.stream().filter(kidsBefore::contains)
                        .filter(k -> !kidsAfter.contains(k)).toList());
            } finally {
                running.set(false);
                loop.join(30_000);
            }
            // Cerner never met a kid it did not know: the next key was published before it signed anything.
            List<OutboundFetch> outbound = env.simulator().requestLog().outbound();
            assertThat(outbound.subList(rotationStart, outbound.size()))
                    .isNotEmpty()
                    .noneMatch(f -> f.reason().equals(OutboundFetch.UNKNOWN_KID));
        }
        assertThat(failures).as("failed token requests during the rotation").isEmpty();
        assertThat(succeeded.get()).as("token requests during the rotation").isGreaterThan(20);
        // Every request after the switch was signed by the new key: the old one is gone and requests still succeed.
        Http.Reply after = Http.postForm(env.realmUrl() + "/cerner/system-token",
                Map.of("tenant", Environment.SANDBOX_IDP, "scope", "system/Encounter.read"), SystemTokenIT.JOB, SystemTokenIT.JOB_SECRET);
        assertThat(after.status()).as(after.body()).isEqualTo(200);
    }

    /**
     * How far to move the clocks for the simulator's copy of the realm's JWKS to expire: it keeps each fetch for the
     * fetch's max-age, and its log says when that was. Usually the max-age; more when a test before this one moved
     * the clocks, since a copy fetched then expires as far after real time as that test had moved them.
     */
    private static Duration pastCachedJwks(Environment env) {
        String url = env.realmUrl() + "/cerner/jwks";
        Optional<OutboundFetch> cached = env.simulator().requestLog().outbound().stream()
                .filter(f -> f.url().equals(url) && f.status() == 200).reduce((a, b) -> b);
        Instant now = env.simulator().clock().instant();
        long left = cached.map(f -> Duration.between(now, f.at().plusSeconds(f.maxAgeSeconds())).getSeconds()).orElse(0L);
        return Duration.ofSeconds(Math.max(0, left) + 1);
    }

    /** Waits (bounded) until the simulator fetched the realm's JWKS again, after its first {@code fetchesBefore} fetches and {@code after}. */
    private static void awaitJwksFetch(Environment env, int fetchesBefore, Instant after) {
        String url = env.realmUrl() + "/cerner/jwks";
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        List<OutboundFetch> outbound = List.of();
        while (Instant.now().isBefore(deadline)) {
            outbound = env.simulator().requestLog().outbound();
            if (outbound.subList(fetchesBefore, outbound.size()).stream().anyMatch(f -> f.url().equals(url) && f.status() == 200 && !f.at().isBefore(after))) {
                return;
            }
            pause(50);
        }
        throw new AssertionError("the simulator did not fetch " + url + " again; its fetches since: "
                + outbound.subList(fetchesBefore, outbound.size()));
    }

    /** Waits (bounded) until the job has completed {@code count} more token requests. */
    private static void awaitRequests(AtomicInteger answered, int count) {
        int target = answered.get() + count;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (answered.get() < target) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the job completed " + (answered.get() - target + count) + " of " + count + " token requests in 30 s");
            }
            pause(20);
        }
    }

    private static JsonNode component(Environment env, String name) {
        for (JsonNode c : env.admin().get(COMPONENTS + "?type=org.keycloak.keys.KeyProvider").json()) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no key provider " + name);
    }

    private static void setActive(Environment env, JsonNode component, boolean active) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = component.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) copy.path("config")).putArray("active").add(String.valueOf(active));
        var response = env.admin().put(COMPONENTS + "/" + component.path("id").asText(), copy);
        assertThat(response.status()).as(response.body()).isLessThan(300);
    }

    private static List<String> publishedKids(Environment env) {
        List<String> kids = new ArrayList<>();
        for (JsonNode key : Http.get(env.realmUrl() + "/cerner/jwks", null).json().path("keys")) {
            if ("RS384".equals(key.path("alg").asText())) {
                kids.add(key.path("kid").asText());
            }
        }
        return kids;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
