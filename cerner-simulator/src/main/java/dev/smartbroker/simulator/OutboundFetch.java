package dev.smartbroker.simulator;

import java.time.Instant;

/**
 * A JWKS the simulator fetched from an app's registered JWKS URL.
 *
 * @param maxAgeSeconds how long the simulator caches it, from the response's Cache-Control (0: not cached)
 */
public record OutboundFetch(Instant at, String url, int status, long maxAgeSeconds) {
}
