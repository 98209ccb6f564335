package dev.smartbroker.simulator;

import java.time.Instant;

/**
 * A JWKS the simulator fetched from an app's registered JWKS URL.
 *
 * @param maxAgeSeconds how long the simulator caches it, from the response's Cache-Control (0: not cached)
 * @param reason        {@code cache_miss} (nothing cached or expired) or {@code unknown_kid} (cached set lacked the kid)
 */
public record OutboundFetch(Instant at, String url, int status, long maxAgeSeconds, String reason) {

    public static final String CACHE_MISS = "cache_miss";
    public static final String UNKNOWN_KID = "unknown_kid";
}
