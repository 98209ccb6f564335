package dev.smartbroker.it.support;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

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

    /** The ids of the stored events of {@code type} now: what {@link #awaitNew} leaves out. */
    public static Set<String> ids(Environment env, String type) {
        return env.admin().events(env.realm(), type).stream().map(e -> e.path("id").asText()).collect(Collectors.toSet());
    }

    /**
     * Waits (briefly) for an event of {@code type} that is not among {@code before} and matches {@code match}. For the
     * tests that move time ({@link Clocks}): there an event's time cannot tell whether it is older than the test.
     */
    public static JsonNode awaitNew(Environment env, Set<String> before, String type, Predicate<JsonNode> match) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        List<JsonNode> seen = List.of();
        while (Instant.now().isBefore(deadline)) {
            seen = env.admin().events(env.realm(), type).stream().filter(e -> !before.contains(e.path("id").asText())).toList();
            for (JsonNode event : seen) {
                if (match.test(event)) {
                    return event;
                }
            }
            ManagedProcess.sleep(200);
        }
        throw new AssertionError("no new " + type + " event matching; new ones: " + seen);
    }

    public static JsonNode awaitNew(Environment env, Set<String> before, String type, String error) {
        return awaitNew(env, before, type, e -> error.equals(e.path("error").asText()));
    }

    /** Events after {@code since} of {@code type}. */
    public static List<JsonNode> since(Environment env, Instant since, String type) {
        return env.admin().events(env.realm(), type).stream()
                .filter(e -> e.path("time").asLong() >= since.toEpochMilli() - 1000).toList();
    }
}
