package dev.smartbroker.simulator;

import java.time.Instant;

/**
 * One request that reached the simulator, stamped with its arrival time. The path has no query string, so no code or token is ever recorded.
 */
public record LoggedRequest(Instant at, String method, String path, String tenant, Endpoint endpoint, String grantType,
                            String clientId, int status) {
}
