package dev.smartbroker.simulator;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** The loopback admin API mirrors the embedding API, JSON in and out, and stays out of the request log. */
class AdminApiTest {

    static Fixture f;
    final Browser browser = new Browser();

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.faults().clear();
        f.sim.settings(SANDBOX).update(new TenantSettings());
    }

    String admin(String path) {
        return f.sim.baseUrl() + "/admin" + path;
    }

    Browser.Reply json(String method, String path, String body) {
        return browser.send(method, admin(path), body, "Content-Type", "application/json");
    }

    @Test
    void registers_lists_and_removes_apps() {
        String app = """
                {"clientId":"admin-app","name":"Admin App","clientSecret":"x","redirectUris":["https://a.example.org/cb"],
                 "launchUri":"https://a.example.org/launch","scopes":["launch","user/Patient.read"],"jwksUrl":null,
                 "smartVersion":"v2","type":"provider","publicClient":false}""";

        Browser.Reply created = json("POST", "/apps", app);

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("clientId").asText()).isEqualTo("admin-app");
        assertThat(f.sim.apps()).anySatisfy(a -> {
            assertThat(a.clientId()).isEqualTo("admin-app");
            assertThat(a.smartVersion()).isEqualTo("v2");
            assertThat(a.redirectUris()).containsExactly("https://a.example.org/cb");
        });
        List<String> listed = new ArrayList<>();
        browser.get(admin("/apps")).json().forEach(a -> listed.add(a.path("clientId").asText()));
        assertThat(listed).contains("admin-app", APP);
        assertThat(browser.get(f.sim.baseUrl() + "/launcher").document().select("option[value=admin-app]")).hasSize(6);

        assertThat(json("DELETE", "/apps/admin-app", null).status()).isEqualTo(204);
        assertThat(f.sim.apps()).noneMatch(a -> a.clientId().equals("admin-app"));
        assertThat(json("DELETE", "/apps/admin-app", null).status()).isEqualTo(404);
    }

    @Test
    void refuses_a_malformed_app() {
        assertThat(json("POST", "/apps", "{not json").status()).isEqualTo(400);
        Browser.Reply badType = json("POST", "/apps", "{\"clientId\":\"x\",\"type\":\"robot\"}");
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.json().path("error_description").asText()).contains("type");
        assertThat(json("POST", "/apps", "{\"name\":\"no id\"}").status()).isEqualTo(400);
    }

    @Test
    void adds_lists_and_clears_faults() {
        Browser.Reply added = json("POST", "/faults", "{\"tenant\":\"" + NORTHWIND + "\",\"endpoint\":\"DISCOVERY\",\"type\":\"SERVER_ERROR\","
                + "\"count\":-1,\"httpStatus\":500}");

        assertThat(added.status()).isEqualTo(201);
        assertThat(browser.get(admin("/faults")).json().get(0).path("type").asText()).isEqualTo("SERVER_ERROR");
        assertThat(browser.get(f.sim.fhirBase(NORTHWIND) + "/.well-known/smart-configuration").status()).isEqualTo(500);
        assertThat(browser.get(f.sim.fhirBase(NORTHWIND) + "/.well-known/smart-configuration").status()).isEqualTo(500);
        assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/.well-known/smart-configuration").status()).isEqualTo(200);

        assertThat(json("DELETE", "/faults", null).status()).isEqualTo(204);
        assertThat(f.sim.faults().list()).isEmpty();
        assertThat(browser.get(f.sim.fhirBase(NORTHWIND) + "/.well-known/smart-configuration").status()).isEqualTo(200);
    }

    @Test
    void a_fault_without_a_count_hits_once() {
        json("POST", "/faults", "{\"endpoint\":\"METADATA\",\"type\":\"NOT_FOUND\"}");

        assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(404);
        assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(200);
    }

    @Test
    void shows_and_clears_the_request_log_without_logging_itself() {
        json("DELETE", "/requests", null);
        browser.get(f.sim.fhirBase(SANDBOX) + "/metadata");

        JsonNode log = browser.get(admin("/requests")).json();

        assertThat(log.path("requests")).hasSize(1);
        JsonNode entry = log.path("requests").get(0);
        assertThat(entry.path("path").asText()).isEqualTo("/r4/" + SANDBOX + "/metadata");
        assertThat(entry.path("endpoint").asText()).isEqualTo("METADATA");
        assertThat(entry.path("at").asText()).matches("\\d{4}-\\d{2}-\\d{2}T.*Z");
        assertThat(log.path("outbound").isArray()).isTrue();
        assertThat(f.sim.requestLog().entries()).noneMatch(r -> r.path().startsWith("/admin"));
        assertThat(json("DELETE", "/requests", null).status()).isEqualTo(204);
        assertThat(f.sim.requestLog().entries()).isEmpty();
    }

    @Test
    void reads_and_partly_updates_tenant_settings() {
        JsonNode settings = browser.get(admin("/tenants/" + SANDBOX + "/settings")).json();
        assertThat(settings.path("accessTokenLifetimeSeconds").asInt()).isEqualTo(570);
        assertThat(settings.path("consent").asText()).isEqualTo("once");
        List<String> fields = new ArrayList<>();
        settings.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("accessTokenLifetimeSeconds", "codeLifetimeSeconds", "launchLifetimeSeconds",
                "advertisePkce", "requirePkce", "echoNonce", "lenientAudTrailingSlash", "acceptLegacyTokenPath", "consent",
                "refreshThrottleSeconds", "serveWellKnown", "keyPublishDelaySeconds", "clockSkewSeconds", "idTokenName",
                "backendServicesOnly");
        assertThat(settings.path("idTokenName").asBoolean()).isTrue();

        Browser.Reply updated = json("PUT", "/tenants/" + SANDBOX + "/settings", "{\"requirePkce\":true,\"accessTokenLifetimeSeconds\":30}");

        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().path("requirePkce").asBoolean()).isTrue();
        TenantSettings live = f.sim.settings(SANDBOX);
        assertThat(live.requirePkce).isTrue();
        assertThat(live.accessTokenLifetimeSeconds).isEqualTo(30);
        assertThat(live.codeLifetimeSeconds).isEqualTo(60);
        assertThat(live.consent).isEqualTo("once");
        assertThat(f.sim.settings(NORTHWIND).requirePkce).isFalse();
        assertThat(json("PUT", "/tenants/" + SANDBOX + "/settings", "{\"consent\":\"sometimes\"}").status()).isEqualTo(400);
        assertThat(f.sim.settings(SANDBOX).consent).isEqualTo("once");
        assertThat(browser.get(admin("/tenants/nope/settings")).status()).isEqualTo(404);
    }

    @Test
    void lists_the_tenants_with_their_urls() {
        JsonNode tenants = browser.get(admin("/tenants")).json();

        assertThat(tenants).hasSize(2);
        assertThat(tenants.get(1).path("id").asText()).isEqualTo(NORTHWIND);
        assertThat(tenants.get(1).path("fhirBase").asText()).isEqualTo(f.sim.fhirBase(NORTHWIND));
        assertThat(tenants.get(1).path("tokenEndpoint").asText()).isEqualTo(f.sim.tokenEndpoint(NORTHWIND));
        assertThat(tenants.get(1).path("dialect").asText()).isEqualTo("cerner");
    }

    @Test
    void ends_a_clinicians_ehr_session() {
        String refresh = f.exchange(SANDBOX, f.codeFlow(new Browser(), SANDBOX, WILMA, APP, "launch online_access", "nurse"))
                .json().path("refresh_token").asText();

        assertThat(json("POST", "/sessions/nurse/end", null).status()).isEqualTo(204);

        assertThat(f.refresh(SANDBOX, refresh).json().path("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void rotates_the_signing_key() {
        String before = f.sim.currentSigningKid();

        Browser.Reply reply = json("POST", "/keys/rotate", null);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("kid").asText()).isEqualTo(f.sim.currentSigningKid()).isNotEqualTo(before);
    }

    @Test
    void lists_issued_tokens() {
        String access = f.systemAccessToken(SANDBOX);

        JsonNode tokens = browser.get(admin("/tokens")).json();

        assertThat(tokens).anySatisfy(t -> {
            assertThat(t.path("value").asText()).isEqualTo(access);
            assertThat(t.path("kind").asText()).isEqualTo("access");
            assertThat(t.path("tenant").asText()).isEqualTo(SANDBOX);
            assertThat(t.path("clientId").asText()).isEqualTo(Fixture.SYSTEM_SECRET_ACCOUNT);
            assertThat(t.path("issuedAt").asText()).endsWith("Z");
        });
    }

    @Test
    void creates_a_launch_for_scripts() {
        Browser.Reply reply = json("POST", "/launches", "{\"tenant\":\"" + SANDBOX + "\",\"patient\":\"" + WILMA + "\",\"clientId\":\"" + APP + "\"}");

        assertThat(reply.status()).isEqualTo(201);
        assertThat(reply.json().path("iss").asText()).isEqualTo(f.sim.fhirBase(SANDBOX));
        Browser clinician = new Browser();
        Map<String, String> params = f.authorizeParams(SANDBOX, APP, reply.json().path("launch").asText(), "launch", null);
        assertThat(f.authorize(clinician, SANDBOX, params).document().getElementById("login")).isNotNull();
        assertThat(json("POST", "/launches", "{\"tenant\":\"nope\",\"clientId\":\"" + APP + "\"}").status()).isEqualTo(400);
    }

    @Test
    void answers_only_loopback_clients() throws Exception {
        // Tests here never listen beyond loopback, so the gate itself is checked with the addresses a request could come from.
        assertThat(Exchange.isLoopback(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(Exchange.isLoopback(InetAddress.getByName("127.8.9.10"))).isTrue();
        assertThat(Exchange.isLoopback(InetAddress.getByName("::1"))).isTrue();
        assertThat(Exchange.isLoopback(InetAddress.getByName("10.0.0.5"))).isFalse();
        assertThat(Exchange.isLoopback(InetAddress.getByName("192.168.1.20"))).isFalse();
        assertThat(Exchange.isLoopback(InetAddress.getByName("fe80::1"))).isFalse();
        assertThat(Exchange.isLoopback(null)).isFalse();
    }

    @Test
    void answers_404_and_405_for_what_it_does_not_know() {
        assertThat(browser.get(admin("/nothing")).status()).isEqualTo(404);
        assertThat(json("PUT", "/apps", "{}").status()).isEqualTo(405);
        assertThat(json("DELETE", "/tokens", null).status()).isEqualTo(405);
    }
}
