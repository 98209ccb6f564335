package dev.smartbroker.it.support;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

/** Keycloak's stored user events, as an auditor reads them in the admin console. */
public final class Events {

    private Events() {
    }

    /** Waits (briefly) for an event of {@code type} recorded after {@code since} that matches {@code match}. */
    public static JsonNode await(Environment env, Instant since, String type, Predicate<JsonNode> match) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        List<JsonNode> seen = List.of();
        while (Instant.now().isBefore(deadline)) {
            seen = env.admin().events(env.realm(), type).stream()
                    .filter(e -> e.path("time").asLong() >= since.toEpochMilli() - 1000)
                    .toList();
            for (JsonNode event : seen) {
                if (match.test(event)) {
                    return event;
                }
            }
            ManagedProcess.sleep(200);
        }
        throw new AssertionError("no " + type + " event matching since " + since + "; seen: " + seen);
    }

    public static JsonNode await(Environment env, Instant since, String type, String error) {
        return await(env, since, type, e -> error.equals(e.path("error").asText()));
    }

    /** Events after {@code since} of {@code type}. */
    public static List<JsonNode> since(Environment env, Instant since, String type) {
        return env.admin().events(env.realm(), type).stream()
                .filter(e -> e.path("time").asLong() >= since.toEpochMilli() - 1000).toList();
    }
}
