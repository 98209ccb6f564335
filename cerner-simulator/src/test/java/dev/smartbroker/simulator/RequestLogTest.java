package dev.smartbroker.simulator;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;

/** What reached the simulator, what it issued, and which calls were back channel. */
class RequestLogTest {

    static Fixture f;

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @BeforeEach
    void clear() {
        f.sim.requestLog().clear();
    }

    @Test
    void records_each_request_with_its_kind_tenant_grant_client_and_status_but_no_query() {
        Instant start = Instant.now();
        Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch offline_access user/Patient.read");
        String refresh = f.exchange(SANDBOX, grant).json().path("refresh_token").asText();
        f.refresh(SANDBOX, refresh);
        f.refresh(SANDBOX, refresh);

        List<LoggedRequest> entries = f.sim.requestLog().entries();

        assertThat(entries).extracting(LoggedRequest::endpoint).containsSubsequence(Endpoint.LAUNCHER, Endpoint.LAUNCHER,
                Endpoint.AUTHORIZE, Endpoint.AUTHORIZE, Endpoint.TOKEN, Endpoint.TOKEN, Endpoint.TOKEN);
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.path()).doesNotContain("?").doesNotContain(grant.code()).doesNotContain(refresh);
            assertThat(e.at()).isAfterOrEqualTo(start.minusMillis(1));
        });
        LoggedRequest exchange = entries.stream().filter(e -> "authorization_code".equals(e.grantType())).findFirst().orElseThrow();
        assertThat(exchange.method()).isEqualTo("POST");
        assertThat(exchange.path()).isEqualTo(f.sim.tokenEndpoint(SANDBOX).substring(f.sim.baseUrl().length()));
        assertThat(exchange.tenant()).isEqualTo(SANDBOX);
        assertThat(exchange.clientId()).isEqualTo(APP);
        assertThat(exchange.status()).isEqualTo(200);
        // How many upstream refreshes happened, per client, from the log.
        assertThat(entries).filteredOn(e -> e.endpoint() == Endpoint.TOKEN && "refresh_token".equals(e.grantType())
                && APP.equals(e.clientId()) && e.status() == 200).hasSize(2);
        LoggedRequest authorize = entries.stream().filter(e -> e.endpoint() == Endpoint.AUTHORIZE).findFirst().orElseThrow();
        assertThat(authorize.method()).isEqualTo("GET");
        assertThat(authorize.clientId()).isEqualTo(APP);
        assertThat(authorize.tenant()).isEqualTo(SANDBOX);
    }

    @Test
    void records_failures_with_their_status_and_the_client_they_claimed() {
        f.token(NORTHWIND, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"),
                "Authorization", Fixture.basic(Fixture.SYSTEM_SECRET_ACCOUNT, "wrong"));

        assertThat(f.sim.requestLog().entries()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.clientId()).isEqualTo(Fixture.SYSTEM_SECRET_ACCOUNT);
            assertThat(e.tenant()).isEqualTo(NORTHWIND);
            assertThat(e.grantType()).isEqualTo("client_credentials");
        });
    }

    @Test
    void records_fhir_calls_with_the_client_of_the_token() {
        String token = f.systemAccessToken(SANDBOX);
        f.sim.requestLog().clear();

        new Browser().get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA + "?_format=json", "Authorization", "Bearer " + token);

        assertThat(f.sim.requestLog().entries()).singleElement().satisfies(e -> {
            assertThat(e.endpoint()).isEqualTo(Endpoint.FHIR);
            assertThat(e.path()).isEqualTo("/r4/" + SANDBOX + "/Patient/" + WILMA);
            assertThat(e.clientId()).isEqualTo(Fixture.SYSTEM_SECRET_ACCOUNT);
            assertThat(e.status()).isEqualTo(200);
        });
    }

    @Test
    void back_channel_leaves_out_browser_pages() {
        Browser browser = new Browser();
        browser.get(f.sim.fhirBase(SANDBOX) + "/.well-known/smart-configuration");
        browser.get(f.sim.fhirBase(SANDBOX) + "/metadata");
        browser.get(f.sim.oidcIssuer(SANDBOX) + ".well-known/openid-configuration");
        browser.get(f.sim.baseUrl() + "/jwk");
        Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch offline_access user/Patient.read");
        String access = f.exchange(SANDBOX, grant).json().path("access_token").asText();
        browser.get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA, "Authorization", "Bearer " + access);
        browser.postForm(f.sim.revocationEndpoint(SANDBOX), Map.of("token", access), "Authorization", Fixture.basic(APP, Fixture.APP_SECRET));
        browser.get(f.sim.baseUrl() + "/errors/x/instances/y");
        browser.get(f.sim.baseUrl() + "/styles/smart-v1.json");

        List<LoggedRequest> backChannel = f.sim.requestLog().backChannel();

        assertThat(backChannel).extracting(LoggedRequest::endpoint).containsExactly(Endpoint.DISCOVERY, Endpoint.METADATA,
                Endpoint.OIDC_CONFIGURATION, Endpoint.JWKS, Endpoint.TOKEN, Endpoint.FHIR, Endpoint.REVOKE);
        assertThat(f.sim.requestLog().entries()).extracting(LoggedRequest::endpoint)
                .contains(Endpoint.LAUNCHER, Endpoint.AUTHORIZE, Endpoint.ERROR_PAGE, Endpoint.OTHER);
    }

    @Test
    void lists_every_issued_access_and_refresh_token() {
        int before = f.sim.issuedTokens().size();
        var body = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch online_access")).json();
        String refreshed = f.refresh(SANDBOX, body.path("refresh_token").asText()).json().path("access_token").asText();

        List<IssuedToken> issued = f.sim.issuedTokens().subList(before, f.sim.issuedTokens().size());

        assertThat(issued).extracting(IssuedToken::kind).containsExactly("access", "refresh", "access");
        assertThat(issued).extracting(IssuedToken::value).containsExactly(body.path("access_token").asText(),
                body.path("refresh_token").asText(), refreshed);
        assertThat(issued).allSatisfy(t -> {
            assertThat(t.tenant()).isEqualTo(SANDBOX);
            assertThat(t.clientId()).isEqualTo(APP);
            assertThat(t.issuedAt()).isNotNull();
            assertThat(t.toString()).doesNotContain(t.value());
        });
    }

    @Test
    void clear_empties_requests_and_outbound_fetches() {
        f.systemToken(SANDBOX, "system/Patient.read", TestKeys.assertion(Fixture.SYSTEM, f.sim.tokenEndpoint(SANDBOX), f.rsaKey));
        assertThat(f.sim.requestLog().entries()).isNotEmpty();

        f.sim.requestLog().clear();

        assertThat(f.sim.requestLog().entries()).isEmpty();
        assertThat(f.sim.requestLog().outbound()).isEmpty();
    }
}
