package dev.smartbroker.sampleapp;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * A plain OIDC web app behind the SMART broker. It knows nothing of SMART or Cerner: it signs in with Keycloak
 * through Spring Security's OAuth2 client and shows the launch context it finds in its tokens.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SampleApp {

    public static void main(String[] args) {
        SpringApplication.run(SampleApp.class, args);
    }
}
