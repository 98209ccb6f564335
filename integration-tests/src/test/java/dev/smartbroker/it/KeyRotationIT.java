package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's key-rotation runbook, run through the admin REST API while a backend job requests fresh system tokens
 * without pause: publish the next key, let Cerner (the simulator, caching the JWKS as its Cache-Control allows)
 * fetch it, switch signing, retire the old key. Not one request may fail.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class KeyRotationIT {

    private static final String COMPONENTS = "/realms/smart/components";

    @Test
    void rotating_the_assertion_key_fails_no_token_request(Environment env) throws Exception {
        JsonNode old = component(env, "cerner-assertions-rs384");
        String realmId = env.admin().get("/realms/smart").json().path("id").asText();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger succeeded = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        try (TenantOverride noCache = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("systemTokenCache", "false"))) {
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
                }
            }, "system-token-loop");
            loop.start();
            java.time.Instant rotationStart = java.time.Instant.now();
            try {
                pause(2);
                List<String> kidsBefore = publishedKids(env);

                // 1. Publish the next key: passive, so it is in the JWKS but signs nothing yet.
                env.admin().post(COMPONENTS, Map.of("name", "cerner-assertions-rs384-next", "providerId", "rsa-generated",
                        "providerType", "org.keycloak.keys.KeyProvider", "parentId", realmId,
                        "config", Map.of("priority", List.of("200"), "algorithm", List.of("RS384"), "keySize", List.of("2048"),
                                "active", List.of("false"), "enabled", List.of("true"))));
                List<String> kidsPublished = publishedKids(env);
                assertThat(kidsPublished).hasSize(kidsBefore.size() + 1).containsAll(kidsBefore);

                // 2. Let Cerner fetch it: at least the JWKS max-age.
                pause(Environment.JWKS_MAX_AGE_SECONDS + 2);

                // 3. Switch signing: the new key active, the old one passive but still published.
                JsonNode next = component(env, "cerner-assertions-rs384-next");
                setActive(env, next, true);
                setActive(env, old, false);
                pause(3);

                // 4. Retire the old key.
                env.admin().delete(COMPONENTS + "/" + old.path("id").asText());
                pause(3);
                List<String> kidsAfter = publishedKids(env);
                assertThat(kidsAfter).hasSize(kidsBefore.size());
                assertThat(kidsAfter).doesNotContainAnyElementsOf(kidsPublished.stream().filter(kidsBefore::contains)
                        .filter(k -> !kidsAfter.contains(k)).toList());
            } finally {
                running.set(false);
                loop.join(30_000);
            }
            // Cerner never met a kid it did not know: the next key was published before it signed anything.
            assertThat(env.simulator().requestLog().outbound()).filteredOn(f -> f.at().isAfter(rotationStart))
                    .isNotEmpty()
                    .noneMatch(f -> f.reason().equals(dev.smartbroker.simulator.OutboundFetch.UNKNOWN_KID));
        }
        assertThat(failures).as("failed token requests during the rotation").isEmpty();
        assertThat(succeeded.get()).as("token requests during the rotation").isGreaterThan(20);
        // Every request after the switch was signed by the new key: the old one is gone and requests still succeed.
        Http.Reply after = Http.postForm(env.realmUrl() + "/cerner/system-token",
                Map.of("tenant", Environment.SANDBOX_IDP, "scope", "system/Encounter.read"), SystemTokenIT.JOB, SystemTokenIT.JOB_SECRET);
        assertThat(after.status()).as(after.body()).isEqualTo(200);
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

    private static void pause(int seconds) throws InterruptedException {
        Thread.sleep(seconds * 1000L);
    }
}
