package dev.smartbroker.cerner;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.keycloak.Config;

/**
 * Settings of the realm's Cerner endpoints ({@code --spi-realm-restapi-extension--cerner--<name>}).
 *
 * @param jwksMaxAgeSeconds how long Cerner may cache the realm's JWKS ({@code Cache-Control: max-age}); a key
 *                          rotation waits at least this long between publishing a key and signing with it
 */
record CernerRealmResourceSettings(int jwksMaxAgeSeconds) {

    static final int DEFAULT_JWKS_MAX_AGE_SECONDS = 300;

    static CernerRealmResourceSettings from(Config.Scope config) {
        int maxAge = SpiSettings.of(config, "realm-restapi-extension", CernerRealmResourceProviderFactory.PROVIDER_ID,
                Set.of("jwks-max-age-seconds")).getInt("jwks-max-age-seconds", DEFAULT_JWKS_MAX_AGE_SECONDS);
        return new CernerRealmResourceSettings(Math.max(0, Math.min(86_400, maxAge)));
    }

    Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("jwks-max-age-seconds", String.valueOf(jwksMaxAgeSeconds));
        return info;
    }
}
