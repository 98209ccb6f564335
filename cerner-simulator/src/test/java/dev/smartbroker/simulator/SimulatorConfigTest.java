package dev.smartbroker.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The config file, its defaults, and the command line. */
class SimulatorConfigTest {

    @Nested
    class Defaults {

        @Test
        void hold_the_sandbox_tenant_a_non_uuid_tenant_and_two_clinicians() {
            SimulatorConfig config = SimulatorConfig.defaults();

            assertThat(config.host()).isEqualTo("127.0.0.1");
            assertThat(config.port()).isEqualTo(8088);
            assertThat(config.tenants()).extracting(SimulatorConfig.Tenant::id).containsExactly(SANDBOX, NORTHWIND);
            assertThat(config.users()).extracting(SimulatorConfig.User::username, SimulatorConfig.User::password,
                    SimulatorConfig.User::practitionerId).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("portal", "portal", "12742069"),
                    org.assertj.core.groups.Tuple.tuple("nurse", "nurse", "4122622"));
            assertThat(config.apps()).isEmpty();
            TenantSettings s = config.tenants().get(0).settings();
            assertThat(s.accessTokenLifetimeSeconds).isEqualTo(570);
            assertThat(s.codeLifetimeSeconds).isEqualTo(60);
            assertThat(s.launchLifetimeSeconds).isEqualTo(300);
            assertThat(s.advertisePkce).isTrue();
            assertThat(s.requirePkce).isFalse();
            assertThat(s.echoNonce).isFalse();
            assertThat(s.lenientAudTrailingSlash).isFalse();
            assertThat(s.acceptLegacyTokenPath).isFalse();
            assertThat(s.consent).isEqualTo("once");
            assertThat(s.refreshThrottleSeconds).isZero();
            assertThat(s.serveWellKnown).isTrue();
            assertThat(s.keyPublishDelaySeconds).isZero();
            assertThat(s.clockSkewSeconds).isEqualTo(60);
        }

        @Test
        void are_copied_not_shared_by_a_running_simulator() {
            SimulatorConfig config = SimulatorConfig.defaults().withPort(0);
            try (CernerSimulator sim = CernerSimulator.start(config)) {
                sim.settings(SANDBOX).accessTokenLifetimeSeconds = 1;

                assertThat(config.tenants().get(0).settings().accessTokenLifetimeSeconds).isEqualTo(570);
            }
        }
    }

    @Nested
    class A_config_file {

        @Test
        void replaces_the_sections_it_names_and_keeps_the_defaults_for_the_others(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("simulator.json");
            Files.writeString(file, """
                    {"port": 0,
                     "tenants": [{"id": "acme", "name": "Acme", "settings": {"accessTokenLifetimeSeconds": 300, "consent": "always"}}],
                     "apps": [{"clientId": "cfg-system", "clientSecret": "pw", "scopes": ["system/Patient.read"], "type": "system"}]}
                    """);

            SimulatorConfig config = SimulatorConfig.fromJson(file);

            assertThat(config.port()).isZero();
            assertThat(config.host()).isEqualTo("127.0.0.1");
            assertThat(config.tenants()).extracting(SimulatorConfig.Tenant::id).containsExactly("acme");
            assertThat(config.users()).extracting(SimulatorConfig.User::username).containsExactly("portal", "nurse");
            assertThat(config.apps()).singleElement().satisfies(a -> {
                assertThat(a.name()).isEqualTo("cfg-system");
                assertThat(a.smartVersion()).isEqualTo("v1");
                assertThat(a.redirectUris()).isEmpty();
            });
            try (CernerSimulator sim = CernerSimulator.start(config)) {
                assertThat(sim.settings("acme").consent).isEqualTo("always");
                assertThat(sim.settings("acme").codeLifetimeSeconds).isEqualTo(60);
                Browser.Reply token = new Browser().postForm(sim.tokenEndpoint("acme"),
                        Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"), "Authorization", Fixture.basic("cfg-system", "pw"));
                assertThat(token.json().path("expires_in").asInt()).isEqualTo(300);
            }
        }

        @Test
        void configures_clinicians_who_can_sign_in_and_whose_practitioner_is_served(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("simulator.json");
            Files.writeString(file, """
                    {"users": [{"username": "drwho", "password": "tardis", "practitionerId": "555", "family": "Who", "given": "Doctor",
                                "email": "who@example.org"}],
                     "apps": [{"clientId": "cfg-system", "clientSecret": "pw", "scopes": ["system/Practitioner.read"], "type": "system"},
                              {"clientId": "cfg-app", "clientSecret": "pw", "redirectUris": ["https://cfg.example.org/cb"],
                               "launchUri": "https://cfg.example.org/launch", "scopes": ["launch", "openid"]}]}
                    """);

            try (CernerSimulator sim = CernerSimulator.start(SimulatorConfig.fromJson(file).withPort(0))) {
                String token = new Browser().postForm(sim.tokenEndpoint(SANDBOX), Map.of("grant_type", "client_credentials",
                        "scope", "system/Practitioner.read"), "Authorization", Fixture.basic("cfg-system", "pw")).json().path("access_token").asText();
                Browser.Reply practitioner = new Browser().get(sim.fhirBase(SANDBOX) + "/Practitioner/555", "Authorization", "Bearer " + token);
                assertThat(practitioner.json().path("name").get(0).path("text").asText()).isEqualTo("Who, Doctor");

                Browser browser = new Browser();
                Browser.Reply launch = browser.submit(browser.get(sim.baseUrl() + "/launcher"), "form#launch-12724065", Map.of("app", "cfg-app"));
                Map<String, String> params = Map.of("response_type", "code", "client_id", "cfg-app", "scope", "launch openid",
                        "aud", sim.fhirBase(SANDBOX), "launch", launch.locationQuery().get("launch"), "state", "s");
                Browser.Reply login = browser.get(sim.authorizationEndpoint(SANDBOX) + "?" + Browser.form(params));
                Browser.Reply consent = Fixture.signIn(browser, login, "drwho", "tardis");
                assertThat(consent.document().getElementById("user").text()).isEqualTo("Who, Doctor");
                assertThat(Fixture.signIn(browser, login, "portal", "portal").status()).as("portal is not configured here").isEqualTo(401);
            }
        }

        @Test
        void names_a_tenants_dialect_and_gives_a_generic_tenant_without_settings_the_generic_ones(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("simulator.json");
            Files.writeString(file, """
                    {"port": 0,
                     "tenants": [{"id": "cerner-one"}, {"id": "plain-smart", "dialect": "generic"},
                                 {"id": "lenient-smart", "dialect": "generic", "settings": {"accessTokenLifetimeSeconds": 60}}]}
                    """);

            SimulatorConfig config = SimulatorConfig.fromJson(file);

            assertThat(config.tenants()).extracting(SimulatorConfig.Tenant::dialect).containsExactly("cerner", "generic", "generic");
            assertThat(config.tenants().get(1).settings().requirePkce).isTrue();
            assertThat(config.tenants().get(2).settings().requirePkce).as("given settings are taken as they are").isFalse();
            try (CernerSimulator sim = CernerSimulator.start(config)) {
                assertThat(sim.fhirBase("plain-smart")).isEqualTo(sim.baseUrl() + "/smart/plain-smart/fhir");
                assertThat(sim.describe(config)).contains(sim.fhirBase("plain-smart"), "generic SMART");
            }
            Files.writeString(file, "{\"tenants\": [{\"id\": \"x\", \"dialect\": \"epic\"}]}");
            assertThatThrownBy(() -> SimulatorConfig.fromJson(file)).hasStackTraceContaining("dialect");
        }

        @Test
        void refuses_tenant_ids_that_are_not_one_path_segment_and_duplicates() {
            assertThatThrownBy(() -> new SimulatorConfig.Tenant("a/b", null, null)).isInstanceOf(IllegalArgumentException.class);
            SimulatorConfig.Tenant t = new SimulatorConfig.Tenant("t", null, null);
            assertThatThrownBy(() -> SimulatorConfig.defaults().withTenants(List.of(t, t))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SimulatorConfig.defaults().withTenants(List.of())).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class The_command_line {

        @Test
        void takes_port_host_and_config_in_any_order(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("c.json");
            Files.writeString(file, "{\"port\": 9999, \"host\": \"127.0.0.2\"}");

            SimulatorConfig config = CernerSimulator.parseArgs(new String[] {"--port", "8089", "--config", file.toString()});

            assertThat(config.port()).isEqualTo(8089);
            assertThat(config.host()).isEqualTo("127.0.0.2");
            assertThat(CernerSimulator.parseArgs(new String[] {"--host", "localhost"}).host()).isEqualTo("localhost");
            assertThat(CernerSimulator.parseArgs(new String[] {"--help"})).isNull();
            assertThatThrownBy(() -> CernerSimulator.parseArgs(new String[] {"--bogus"})).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CernerSimulator.parseArgs(new String[] {"--port"})).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void prints_where_to_click_and_what_to_configure() {
            SimulatorConfig config = SimulatorConfig.defaults().withPort(0);
            try (CernerSimulator sim = CernerSimulator.start(config)) {
                String text = sim.describe(config);

                assertThat(text).contains(sim.baseUrl() + "/launcher", sim.fhirBase(SANDBOX), sim.fhirBase(NORTHWIND),
                        sim.tokenEndpoint(SANDBOX), sim.baseUrl() + "/jwk", "portal/portal", "nurse/nurse", "/admin/");
            }
        }
    }
}
