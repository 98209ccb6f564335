package dev.smartbroker.smart.idp;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.support.SpiSettings;
import org.keycloak.Config;

/**
 * Server-wide settings of one SMART identity-provider type, read from Keycloak's configuration:
 * {@code --spi-identity-provider--<type>--<name>=<value>}, {@code KC_SPI_IDENTITY_PROVIDER__<TYPE>__<NAME>} or
 * {@code spi-identity-provider--<type>--<name>=<value>} in keycloak.conf (see {@link SpiSettings}). A profile reads its
 * own further settings from {@link #spi()}.
 */
public record SmartSettings(long discoveryCacheSeconds, long jwksCacheSeconds, int assertionLifetimeSeconds, int launchesKept,
                            SpiSettings spi) {

    static final long DEFAULT_DISCOVERY_CACHE_SECONDS = 3600;
    static final long DEFAULT_JWKS_CACHE_SECONDS = 3600;
    /** HL7 backend services: assertions expire no more than five minutes ahead; shorter limits replay. */
    static final int DEFAULT_ASSERTION_LIFETIME_SECONDS = 120;
    public static final int MAX_ASSERTION_LIFETIME_SECONDS = 300;
    static final Set<String> NAMES = Set.of("discovery-cache-seconds", "jwks-cache-seconds", "assertion-lifetime-seconds",
            "launches-kept");

    /**
     * @param type          the identity-provider type (the provider id)
     * @param profileNames  the settings the type's profile reads besides the common ones
     */
    static SmartSettings from(Config.Scope config, String type, Set<String> profileNames) {
        Set<String> known = new LinkedHashSet<>(NAMES);
        known.addAll(profileNames);
        SpiSettings settings = SpiSettings.of(config, "identity-provider", type, known);
        return new SmartSettings(Math.max(0, settings.getLong("discovery-cache-seconds", DEFAULT_DISCOVERY_CACHE_SECONDS)),
                Math.max(0, settings.getLong("jwks-cache-seconds", DEFAULT_JWKS_CACHE_SECONDS)),
                Math.min(MAX_ASSERTION_LIFETIME_SECONDS, Math.max(10, settings.getInt("assertion-lifetime-seconds",
                        DEFAULT_ASSERTION_LIFETIME_SECONDS))),
                Math.min(LaunchStore.MAX_LAUNCHES_KEPT, Math.max(1, settings.getInt("launches-kept", LaunchStore.DEFAULT_LAUNCHES_KEPT))),
                settings);
    }

    Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("discovery-cache-seconds", String.valueOf(discoveryCacheSeconds));
        info.put("jwks-cache-seconds", String.valueOf(jwksCacheSeconds));
        info.put("assertion-lifetime-seconds", String.valueOf(assertionLifetimeSeconds));
        info.put("launches-kept", String.valueOf(launchesKept));
        return info;
    }
}
