package dev.smartbroker.sampleapp;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where Keycloak is and who this app is there.
 *
 * @param url      Keycloak's base URL, e.g. http://127.0.0.1:8080
 * @param realm    the realm, {@code smart} in the demo
 * @param clientId this app's client id
 * @param secret   this app's client secret
 */
@ConfigurationProperties(prefix = "sample.keycloak")
public record KeycloakProperties(String url, String realm, String clientId, String secret) {

    String issuer() {
        return url.replaceAll("/+$", "") + "/realms/" + realm;
    }
}
