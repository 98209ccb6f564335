package dev.smartbroker.simulator;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * An app registered in the simulated Code Console (provider app) or Cerner Central (system account).
 *
 * @param clientId     client id (for a system account, its id)
 * @param name         shown on the consent page and the launcher
 * @param clientSecret secret for client_secret_basic, or null
 * @param redirectUris exact redirect URIs (Cerner matches strictly, trailing slash included)
 * @param launchUri    SMART Launch URI the launcher opens, or null (system accounts)
 * @param scopes       registered scopes; granted = requested ∩ registered
 * @param jwksUrl      JWKS URL for private_key_jwt and client_credentials assertions, or null
 * @param smartVersion "v1" or "v2"
 * @param type         "provider" or "system"
 * @param publicClient true for a public client (client_id only)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppRegistration(String clientId, String name, String clientSecret, List<String> redirectUris,
                              String launchUri, List<String> scopes, String jwksUrl, String smartVersion,
                              String type, boolean publicClient) {

    public AppRegistration {
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("clientId is required");
        }
        name = name == null ? clientId : name;
        redirectUris = redirectUris == null ? List.of() : List.copyOf(redirectUris);
        scopes = scopes == null ? List.of() : List.copyOf(scopes);
        smartVersion = smartVersion == null ? "v1" : smartVersion;
        type = type == null ? "provider" : type;
    }

    boolean isSystem() {
        return "system".equals(type);
    }
}
