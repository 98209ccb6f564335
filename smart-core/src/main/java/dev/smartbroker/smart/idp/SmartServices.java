package dev.smartbroker.smart.idp;

import dev.smartbroker.smart.backend.SystemTokenCache;
import dev.smartbroker.smart.discovery.SmartDiscovery;
import dev.smartbroker.smart.discovery.UpstreamJwks;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.token.SingleFlight;

/**
 * Per-node caches and settings shared by every identity provider of one SMART type; owned by its factory. Nothing here
 * is state that must survive a restart or agree across nodes: each entry is refetched on a miss. The meters count
 * into Keycloak's registry (README, "Metrics").
 */
public record SmartServices(SmartDiscovery discovery, UpstreamJwks jwks, SmartSettings settings, SingleFlight coordinator,
                            SystemTokenCache systemTokens, SmartMetrics metrics) {
}
