package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.KeycloakServer;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every server setting the README documents takes effect in each of Keycloak's three forms: a command-line option,
 * an environment variable and a line of {@code conf/keycloak.conf}. Each form gets a Keycloak of its own, started
 * with non-default values for all settings, which the server info page (admin REST) must then show.
 */
@ExtendWith(SmartBrokerEnvironment.class) // the shared distribution is built (and twinned) before any settings run
class ServerSettingsIT {

    /** The README's settings: SPI, provider, name, and a value that is not the default. */
    private record Setting(String spi, String provider, String name, String value) {

        String cli() {
            return "--spi-" + spi + "--" + provider + "--" + name + "=" + value;
        }

        String env() {
            return ("KC_SPI_" + spi + "__" + provider + "__" + name).replace('-', '_').toUpperCase(Locale.ROOT);
        }

        String conf() {
            return "spi-" + spi + "--" + provider + "--" + name + "=" + value;
        }
    }

    private static final List<Setting> DOCUMENTED = List.of(
            new Setting("identity-provider", "cerner", "discovery-cache-seconds", "1234"),
            new Setting("identity-provider", "cerner", "jwks-cache-seconds", "2345"),
            new Setting("identity-provider", "cerner", "trusted-authorization-hosts", "authorization.example.org"),
            new Setting("identity-provider", "cerner", "assertion-lifetime-seconds", "90"),
            new Setting("identity-provider", "cerner", "launches-kept", "7"),
            new Setting("realm-restapi-extension", "cerner", "jwks-max-age-seconds", "77"),
            new Setting("identity-provider", "smart", "discovery-cache-seconds", "1111"),
            new Setting("identity-provider", "smart", "jwks-cache-seconds", "2222"),
            new Setting("identity-provider", "smart", "assertion-lifetime-seconds", "60"),
            new Setting("identity-provider", "smart", "launches-kept", "5"),
            new Setting("realm-restapi-extension", "smart", "jwks-max-age-seconds", "66"),
            new Setting("realm-restapi-extension", "smart-launch", "pending-launch-seconds", "123"),
            new Setting("jpa-entity-provider", "smart-launches", "cleanup-interval-seconds", "321"));

    enum Form { COMMAND_LINE, ENVIRONMENT, KEYCLOAK_CONF }

    private static Path work;
    private static Path home;

    @BeforeAll
    static void twin() throws IOException {
        work = Path.of(System.getProperty("it.work.dir", "target/it-work"));
        home = KeycloakServer.twinOfBuilt(Path.of(System.getProperty("keycloak.home")), work.resolve("keycloak-settings"));
    }

    @ParameterizedTest
    @EnumSource(Form.class)
    void every_documented_setting_takes_effect(Form form) throws IOException {
        List<String> options = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        StringBuilder conf = new StringBuilder();
        for (Setting setting : DOCUMENTED) {
            switch (form) {
                case COMMAND_LINE -> options.add(setting.cli());
                case ENVIRONMENT -> env.put(setting.env(), setting.value());
                case KEYCLOAK_CONF -> conf.append(setting.conf()).append('\n');
            }
        }
        // An admin's typo is reported, not silently dropped.
        options.add("--spi-identity-provider--cerner--trusted-authorisation-hosts=typo.example.org");
        Files.writeString(home.resolve("conf/keycloak.conf"), conf.toString());
        try (KeycloakServer server = KeycloakServer.start(home, Path.of(System.getProperty("providers.dir")),
                "{\"realm\":\"smart\",\"enabled\":true}", env, options, work.resolve("keycloak-settings-" + form.name().toLowerCase(Locale.ROOT) + ".log"))) {
            JsonNode providers = new KeycloakAdmin(server.url()).get("/serverinfo").json().path("providers");
            for (Setting setting : DOCUMENTED) {
                String spi = setting.spi().equals("identity-provider") ? "identity_provider" : setting.spi();
                JsonNode info = providers.path(spi).path("providers").path(setting.provider()).path("operationalInfo");
                assertThat(info.path(setting.name()).asText()).as("%s via %s", setting.name(), form).isEqualTo(setting.value());
            }
            assertThat(server.process().logText()).contains("Unknown server setting spi-identity-provider--cerner--trusted-authorisation-hosts");
        }
    }
}
