package dev.smartbroker.simulator;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * An app registered in the simulated Code Console (provider app) or Cerner Central (system account). Every
 * registered app is enabled in every tenant of the simulator.
 *
 * @param clientId     client id (for a system account, its id)
 * @param name         shown on the consent page and the launcher (defaults to the client id)
 * @param clientSecret secret for client_secret_basic, or null
 * @param redirectUris exact redirect URIs (matched as exact strings, trailing slash included)
 * @param launchUri    SMART Launch URI the launcher opens, or null (the app is then not offered in the launcher)
 * @param scopes       registered scopes; granted = requested ∩ registered, compared as exact strings
 * @param jwksUrl      JWKS URL for private_key_jwt and client_credentials assertions, or null
 * @param smartVersion "v1" or "v2" (default "v1"); informational, scopes are matched as registered
 * @param type         "provider" (authorize + code) or "system" (client_credentials only); default "provider"
 * @param publicClient true for a public client (client_id only at the token endpoint)
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
        if (!type.equals("provider") && !type.equals("system")) {
            throw new IllegalArgumentException("type must be provider or system: " + type);
        }
        if (!smartVersion.equals("v1") && !smartVersion.equals("v2")) {
            throw new IllegalArgumentException("smartVersion must be v1 or v2: " + smartVersion);
        }
    }

    boolean isSystem() {
        return "system".equals(type);
    }
}
