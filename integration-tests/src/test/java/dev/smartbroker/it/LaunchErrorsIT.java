package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.PowerChart;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.Fault;
import dev.smartbroker.simulator.FaultType;
import dev.smartbroker.simulator.TenantSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every way a launch can fail ends the same way: a localized page in the same window, one event with tenant, IdP
 * alias and reason (no patient, token or launch value), and no user session.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchErrorsIT {

    private final Environment env;
    private final Launches launches;

    LaunchErrorsIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @AfterEach
    void clearFaults() {
        env.simulator().faults().clear();
    }

    /** Runs a failing step and checks the page, the event and that no session appeared. */
    private JsonNode expectFailure(String eventType, String error, int status, String title, java.util.function.Supplier<Browser.Page> step,
                                   Consumer<Browser.Page> pageCheck) {
        Instant start = Instant.now();
        int sessionsBefore = env.admin().userSessionCount(env.realm());
        Browser.Page page = step.get();
        assertThat(page.status()).as(page.body()).isEqualTo(status);
        assertThat(page.text("#kc-page-title")).isEqualTo(title);
        assertThat(page.document().selectFirst("#smart-next-step")).isNotNull();
        pageCheck.accept(page);
        JsonNode event = Events.await(env, start, eventType, error);
        assertThat(event.path("details").path("reason").asText()).isNotBlank();
        // The help desk finds the event by the reference and time the clinician reads out.
        String reference = event.path("details").path("reference").asText();
        assertThat(reference).matches("[2-9A-Z]{4}-[2-9A-Z]{4}");
        assertThat(page.text("#smart-error-reference")).contains(reference).contains(" UTC")
                .contains(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(java.time.ZoneOffset.UTC)
                        .format(Instant.ofEpochMilli(event.path("time").asLong())));
        assertThat(event.toString()).doesNotContain("12724065").doesNotContain("12724067");
        assertThat(env.admin().userSessionCount(env.realm())).as("user sessions").isEqualTo(sessionsBefore);
        return event;
    }

    /** A launch that fails after the clinician signed in at Cerner: returns the error page of our callback. */
    private Browser.Page launchFailingAtCerner(String tenant, String patient, String cernerClient) {
        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, tenant, patient, cernerClient));
        OidcClient app = launches.app();
        OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_launch", handle));
        try {
            Browser.Page page = CernerPages.signInAndAllow(browser, browser.get(request.url()), "portal", "portal",
                    l -> l.startsWith(app.redirectUri()));
            throw new AssertionError("the launch did not fail: " + page);
        } catch (CernerPages.UnexpectedPage expected) {
            return expected.page();
        }
    }

    @Nested
    class At_the_launch_uri {

        @Test
        void an_unknown_iss_gets_a_page_and_an_event_and_not_a_single_request(Environment env) throws IOException {
            AtomicInteger requests = new AtomicInteger();
            HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            attacker.createContext("/", exchange -> {
                requests.incrementAndGet();
                exchange.sendResponseHeaders(500, -1);
                exchange.close();
            });
            attacker.start();
            try {
                String iss = "http://127.0.0.1:" + attacker.getAddress().getPort() + "/r4/" + Environment.SANDBOX_TENANT;
                Instant start = Instant.now();
                JsonNode event = expectFailure("LOGIN_ERROR", "smart_unknown_iss", 403, "Unknown EHR",
                        () -> new Browser().get(env.realmUrl() + "/smart-launch/sample-app?iss=" + iss + "&launch=abc"), page -> { });
                assertThat(event.path("details").path("smart_iss").asText()).isEqualTo(iss);
                assertThat(requests.get()).as("requests the unknown iss received").isZero();
                assertThat(env.simulator().requestLog().entries()).noneMatch(r -> r.at().isAfter(start));
            } finally {
                attacker.stop(0);
            }
        }

        @Test
        void the_unknown_tenant_page_is_localized(Environment env) {
            Browser.Page page = new Browser().acceptLanguage("es")
                    .get(env.realmUrl() + "/smart-launch/sample-app?iss=https://fhir.example.org/r4/t&launch=abc");
            assertThat(page.text("#kc-page-title")).isEqualTo("Sistema clínico desconocido");
            assertThat(page.text("#smart-next-step")).startsWith("Cierre esta ventana");
        }

        @Test
        void missing_iss_or_launch(Environment env) {
            String iss = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
            expectFailure("LOGIN_ERROR", "smart_missing_parameters", 400, "This app was not opened from the EHR",
                    () -> new Browser().get(env.realmUrl() + "/smart-launch/sample-app?iss=" + iss), page -> { });
            expectFailure("LOGIN_ERROR", "smart_missing_parameters", 400, "This app was not opened from the EHR",
                    () -> new Browser().get(env.realmUrl() + "/smart-launch/sample-app?launch=abc"), page -> { });
        }

        @Test
        void an_unknown_app(Environment env) {
            expectFailure("LOGIN_ERROR", "smart_unknown_app", 404, "Unknown app",
                    () -> new Browser().get(env.realmUrl() + "/smart-launch/no-such-app?iss=x&launch=y"), page -> { });
        }

        @Test
        void an_app_without_the_launch_context_scope(Environment env) {
            env.admin().post("/realms/smart/clients", Map.of("clientId", "it-plain-app", "publicClient", true,
                    "rootUrl", "http://127.0.0.1:1", "baseUrl", "/", "redirectUris", List.of("/cb")));
            try {
                String iss = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
                expectFailure("LOGIN_ERROR", "smart_app_not_launchable", 403, "App not set up for EHR launch",
                        () -> new Browser().get(env.realmUrl() + "/smart-launch/it-plain-app?iss=" + iss + "&launch=y"), page -> { });
            } finally {
                env.admin().delete("/realms/smart/clients/" + env.admin().clientUuid("smart", "it-plain-app"));
            }
        }

        @Test
        void a_disabled_tenant(Environment env) {
            try (TenantOverride disabled = TenantOverride.enabled(env, Environment.SANDBOX_IDP, false)) {
                expectTenantTurnedOff();
            }
        }

        @Test
        void a_tenant_for_account_linking_only(Environment env) {
            // Keycloak's "account linking only" provider cannot sign anyone in: the launch is refused before it starts.
            try (TenantOverride linkOnly = TenantOverride.linkOnly(env, Environment.SANDBOX_IDP, true)) {
                expectTenantTurnedOff();
            }
        }

        private void expectTenantTurnedOff() {
            JsonNode event = expectFailure("LOGIN_ERROR", "smart_tenant_disabled", 403, "EHR connection turned off",
                    () -> launches.openLaunchUri(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID), page -> { });
            assertThat(event.path("details").path("identity_provider").asText()).isEqualTo(Environment.SANDBOX_IDP);
            assertThat(event.path("details").path("smart_tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);
        }
    }

    @Nested
    class At_the_app_login {

        @Test
        void a_launch_handle_used_twice(Environment env) {
            Browser browser = new Browser();
            String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID));
            launches.login(browser, handle, Launches.Binding.HANDLE, "portal", "portal");
            OidcClient app = launches.app();
            expectFailure("LOGIN_ERROR", "smart_launch_expired", 400, "Launch expired",
                    () -> browser.follow(browser.get(app.authorizationRequest(Map.of("kc_launch", handle)).url())), page -> { });
        }

        @Test
        void an_app_without_pkce(Environment env) {
            env.admin().post("/realms/smart/clients", Map.of("clientId", "it-no-pkce", "publicClient", true, "rootUrl", "http://127.0.0.1:1",
                    "baseUrl", "/", "redirectUris", List.of("http://127.0.0.1:1/cb"),
                    "defaultClientScopes", List.of("basic", "profile", "smart-launch-context")));
            try {
                String launchUri = PowerChart.launch(new Browser(), env, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID).location();
                Map<String, String> smart = Browser.query(launchUri);
                OidcClient app = new OidcClient(env.realmUrl(), "it-no-pkce", null, "http://127.0.0.1:1/cb");
                expectFailure("LOGIN_ERROR", "smart_pkce_required", 400, "App not set up for EHR launch",
                        () -> new Browser().follow(new Browser().get(app.authorizationRequest(
                                Map.of("iss", smart.get("iss"), "launch", smart.get("launch")), false).url())), page -> { });
            } finally {
                env.admin().delete("/realms/smart/clients/" + env.admin().clientUuid("smart", "it-no-pkce"));
            }
        }
    }

    @Nested
    class At_cerner {

        @Test
        void a_replayed_cerner_launch_gets_the_launch_link_used_or_expired_page(Environment env) {
            Browser browser = new Browser();
            String launchUri = PowerChart.launch(browser, env, Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID).location();
            Map<String, String> smart = Browser.query(launchUri);
            OidcClient app = launches.app();
            Map<String, String> params = Map.of("iss", smart.get("iss"), "launch", smart.get("launch"));
            OidcClient.AuthorizationRequest first = app.authorizationRequest(params);
            CernerPages.signInAndAllow(browser, browser.get(first.url()), "portal", "portal", l -> l.startsWith(app.redirectUri()));
            // Back or reload: the same launch value goes to Cerner again, which refuses it.
            JsonNode event = expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_launch_rejected", 400,
                    "Launch link already used or expired",
                    () -> browser.follow(browser.get(app.authorizationRequest(params).url()), l -> l.startsWith(app.redirectUri())),
                    page -> {
                        assertThat(page.text("#smart-next-step")).contains("open the app again from the patient's chart in PowerChart");
                        assertThat(page.document().selectFirst("#smart-more-info a").attr("href"))
                                .startsWith(env.simulator().baseUrl() + "/errors/");
                    });
            assertThat(event.path("details").path("cerner_error_urn").asText()).endsWith("invalid-launch-code");
            assertThat(event.path("details").path("identity_provider").asText()).isEqualTo(Environment.SANDBOX_IDP);
        }

        @Test
        void the_clinician_denies_access(Environment env) {
            TenantSettings settings = env.simulator().settings(Environment.SANDBOX_TENANT);
            settings.consent = "always";
            try {
                Browser browser = new Browser();
                String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "JOE", Environment.BROKER_CLIENT_ID));
                OidcClient app = launches.app();
                Browser.Page login = browser.follow(browser.get(app.authorizationRequest(Map.of("kc_launch", handle)).url()));
                Browser.Page consentPage = browser.follow(browser.submit(login, "form#login", Map.of("username", "portal", "password", "portal")));
                assertThat(consentPage.document().selectFirst("form#consent")).as(consentPage.body()).isNotNull();
                JsonNode event = expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_access_denied", 403, "Access not granted",
                        () -> browser.follow(browser.submit(consentPage, "form#consent", Map.of("decision", "deny"))),
                        page -> assertThat(page.document().selectFirst("#smart-more-info a").attr("href")).contains("access-denied"));
                assertThat(event.path("details").path("cerner_error").asText()).isEqualTo("access_denied");
            } finally {
                settings.consent = "once";
            }
        }

        @Test
        void an_expired_code(Environment env) {
            env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.EXPIRED_CODE).forTenant(Environment.SANDBOX_TENANT));
            JsonNode event = expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_invalid_grant", 502, "Sign-in expired",
                    () -> launchFailingAtCerner(Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID),
                    page -> assertThat(page.document().selectFirst("#smart-more-info")).isNotNull());
            assertThat(event.path("details").path("cerner_error_urn").asText()).endsWith("code-invalid-or-expired");
        }

        @Test
        void rejected_client_credentials(Environment env) {
            env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.INVALID_CLIENT).forTenant(Environment.SANDBOX_TENANT));
            expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_invalid_client", 502, "App credentials rejected",
                    () -> launchFailingAtCerner(Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID), page -> { });
        }

        @Test
        void an_id_token_signed_with_a_key_cerner_never_publishes(Environment env) {
            env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.UNKNOWN_KID).forTenant(Environment.SANDBOX_TENANT));
            expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_id_token_invalid", 502, "Sign-in could not be verified",
                    () -> launchFailingAtCerner(Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID), page -> { });
        }

        @Test
        void cerner_too_slow(Environment env) {
            try (TenantOverride timeout = TenantOverride.config(env, Environment.SANDBOX_IDP, Map.of("readTimeoutMillis", "800"))) {
                env.simulator().faults().add(Fault.of(Endpoint.TOKEN, FaultType.LATENCY).latency(2500).forTenant(Environment.SANDBOX_TENANT));
                expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_unreachable", 504, "Cerner is not answering",
                        () -> launchFailingAtCerner(Environment.SANDBOX_TENANT, "WILMA", Environment.BROKER_CLIENT_ID), page -> { });
            }
        }

        @Test
        void cerner_down_while_discovering(Environment env) {
            // A second tenant registration whose FHIR base points at a closed port: discovery cannot succeed.
            int closed = dev.smartbroker.it.support.Ports.free();
            String iss = "http://127.0.0.1:" + closed + "/r4/down-tenant";
            try (TenantOverride down = TenantOverride.register(env, "it-down", Map.of("fhirBaseUrl", iss, "environment", "sandbox",
                    "clientId", "x", "clientSecret", "y", "smartScopes", "openid fhirUser user/Patient.read",
                    "connectTimeoutMillis", "500"))) {
                Browser browser = new Browser();
                Browser.Page landing = browser.get(env.realmUrl() + "/smart-launch/sample-app?iss=" + iss + "&launch=L1");
                String handle = launches.handleOf(landing);
                OidcClient app = launches.app();
                expectFailure("IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_unreachable", 504, "Cerner is not answering",
                        () -> browser.follow(browser.get(app.authorizationRequest(Map.of("kc_launch", handle)).url())), page -> { });
            }
        }
    }
}
