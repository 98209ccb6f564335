package dev.smartbroker.cerner;

/**
 * Per-node caches and settings shared by every Cerner identity provider instance; owned by the factory.
 * Nothing here is state that must survive a restart or agree across nodes: each entry is refetched on a miss.
 */
record CernerServices(SmartDiscovery discovery, CernerJwks jwks, CernerSettings settings, RefreshCoordinator coordinator,
                      SystemTokenCache systemTokens) {
}
