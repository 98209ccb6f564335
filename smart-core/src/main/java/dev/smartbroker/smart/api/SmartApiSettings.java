package dev.smartbroker.smart.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.smartbroker.smart.support.SpiSettings;
import org.keycloak.Config;

/**
 * Settings of one path of the realm's SMART API ({@code --spi-realm-restapi-extension--<path>--<name>}).
 *
 * @param jwksMaxAgeSeconds how long an EHR may cache the realm's JWKS ({@code Cache-Control: max-age}); a key rotation
 *                          waits at least this long between publishing a key and signing with it
 */
record SmartApiSettings(int jwksMaxAgeSeconds) {

    static final int DEFAULT_JWKS_MAX_AGE_SECONDS = 300;

    static SmartApiSettings from(Config.Scope config, String path) {
        int maxAge = SpiSettings.of(config, "realm-restapi-extension", path,
                Set.of("jwks-max-age-seconds")).getInt("jwks-max-age-seconds", DEFAULT_JWKS_MAX_AGE_SECONDS);
        return new SmartApiSettings(Math.max(0, Math.min(86_400, maxAge)));
    }

    Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("jwks-max-age-seconds", String.valueOf(jwksMaxAgeSeconds));
        return info;
    }
}
