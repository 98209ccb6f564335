package dev.smartbroker.cerner;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.Config;

/**
 * Server-wide settings of the Cerner provider, read from Keycloak's configuration
 * ({@code --spi-identity-provider--cerner--<name>=<value>}, {@code KC_SPI_IDENTITY_PROVIDER__CERNER__<NAME>} or
 * {@code spi-identity-provider--cerner--<name>=<value>} in keycloak.conf; see {@link SpiSettings}).
 */
record CernerSettings(long discoveryCacheSeconds, long jwksCacheSeconds, Set<String> trustedAuthorizationHosts,
                      int assertionLifetimeSeconds) {

    static final long DEFAULT_DISCOVERY_CACHE_SECONDS = 3600;
    static final long DEFAULT_JWKS_CACHE_SECONDS = 3600;
    static final String DEFAULT_TRUSTED_HOSTS = "authorization.cerner.com,authorization.sandboxcerner.com";
    /** HL7 backend services: assertions expire no more than five minutes ahead; shorter limits replay. */
    static final int DEFAULT_ASSERTION_LIFETIME_SECONDS = 120;
    static final int MAX_ASSERTION_LIFETIME_SECONDS = 300;

    static final Set<String> NAMES = Set.of("discovery-cache-seconds", "jwks-cache-seconds", "trusted-authorization-hosts",
            "assertion-lifetime-seconds");

    static CernerSettings from(Config.Scope config) {
        SpiSettings settings = SpiSettings.of(config, "identity-provider", CernerIdentityProviderFactory.PROVIDER_ID, NAMES);
        long discovery = settings.getLong("discovery-cache-seconds", DEFAULT_DISCOVERY_CACHE_SECONDS);
        long jwks = settings.getLong("jwks-cache-seconds", DEFAULT_JWKS_CACHE_SECONDS);
        String hosts = settings.get("trusted-authorization-hosts", DEFAULT_TRUSTED_HOSTS);
        int assertion = settings.getInt("assertion-lifetime-seconds", DEFAULT_ASSERTION_LIFETIME_SECONDS);
        return new CernerSettings(Math.max(0, discovery), Math.max(0, jwks),
                Arrays.stream(hosts.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet()),
                Math.min(MAX_ASSERTION_LIFETIME_SECONDS, Math.max(10, assertion)));
    }

    Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("discovery-cache-seconds", String.valueOf(discoveryCacheSeconds));
        info.put("jwks-cache-seconds", String.valueOf(jwksCacheSeconds));
        info.put("trusted-authorization-hosts", String.join(",", trustedAuthorizationHosts.stream().sorted().toList()));
        info.put("assertion-lifetime-seconds", String.valueOf(assertionLifetimeSeconds));
        return info;
    }
}
