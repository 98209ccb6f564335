package dev.smartbroker.simulator;

import java.util.Map;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fault injection: every fault type, counts, tenant and grant-type filters. */
class FaultsTest {

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
    void clear() {
        f.sim.faults().clear();
    }

    String discovery(String tenant) {
        return f.sim.fhirBase(tenant) + "/.well-known/smart-configuration";
    }

    @Nested
    class Each_type {

        @Test
        void latency_delays_then_answers_normally() {
            f.sim.faults().add(Fault.of(Endpoint.DISCOVERY, FaultType.LATENCY).latency(1_500));

            long start = System.nanoTime();
            Browser.Reply slow = browser.get(discovery(SANDBOX));
            long slowMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(slow.status()).isEqualTo(200);
            assertThat(slow.json().path("token_endpoint").asText()).isEqualTo(f.sim.tokenEndpoint(SANDBOX));
            assertThat(slowMs).isGreaterThanOrEqualTo(1_500);
            // Used up: the next request is not delayed (a wide margin, so a busy machine cannot make this flaky).
            assertThat(f.sim.faults().list()).isEmpty();
            long again = System.nanoTime();
            browser.get(discovery(SANDBOX));
            assertThat((System.nanoTime() - again) / 1_000_000).isLessThan(1_500);
        }

        @Test
        void server_error_answers_503_or_the_status_asked() {
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.SERVER_ERROR));
            f.sim.faults().add(Fault.of(Endpoint.FHIR, FaultType.SERVER_ERROR).status(500));

            assertThat(f.token(SANDBOX, Map.of("grant_type", "client_credentials")).status()).isEqualTo(503);
            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA).status()).isEqualTo(500);
        }

        @Test
        void malformed_json_answers_200_with_a_truncated_body() {
            f.sim.faults().add(Fault.of(Endpoint.DISCOVERY, FaultType.MALFORMED_JSON));

            Browser.Reply reply = browser.get(discovery(SANDBOX));

            assertThat(reply.status()).isEqualTo(200);
            assertThatThrownBy(() -> Browser.JSON.readTree(reply.body())).isInstanceOf(Exception.class);
        }

        @Test
        void not_found_answers_404() {
            f.sim.faults().add(Fault.of(Endpoint.METADATA, FaultType.NOT_FOUND));

            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(404);
            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(200);
        }

        @Test
        void access_denied_redirects_the_authorization_back_with_the_error() {
            f.sim.faults().add(Fault.of(Endpoint.AUTHORIZE, FaultType.ACCESS_DENIED));
            String launch = f.launch(browser, SANDBOX, WILMA, APP);
            Map<String, String> params = f.authorizeParams(SANDBOX, APP, launch, "launch", null);

            Browser.Reply reply = f.authorize(browser, SANDBOX, params);

            assertThat(reply.status()).isEqualTo(302);
            assertThat(reply.locationQuery()).containsEntry("error", "access_denied").containsEntry("state", params.get("state"));
            assertThat(Fixture.urn(reply.locationQuery().get("error_uri"))).endsWith(":oauth2:grant:access-denied");
        }

        @Test
        void invalid_grant_refuses_the_grant_of_the_type_asked() {
            String refresh = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch offline_access")).json().path("refresh_token").asText();
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.INVALID_GRANT).grant("refresh_token"));
            // A request of another grant type does not consume it.
            assertThat(f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"),
                    "Authorization", Fixture.basic(Fixture.SYSTEM_SECRET_ACCOUNT, Fixture.SYSTEM_SECRET)).status()).isEqualTo(200);

            TokenTest.assertTokenError(f.refresh(SANDBOX, refresh), 400, "invalid_grant", "oauth2:token:refresh-token-invalid");
            assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);
        }

        @Test
        void invalid_client_refuses_a_correctly_authenticated_client() {
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.INVALID_CLIENT));

            Browser.Reply reply = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch"));

            TokenTest.assertTokenError(reply, 401, "invalid_client", "oauth2:token:invalid-client-credentials");
        }

        @Test
        void unknown_kid_signs_the_id_token_with_a_key_never_published() throws Exception {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch openid fhirUser");
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.UNKNOWN_KID));

            String idToken = f.exchange(SANDBOX, grant).json().path("id_token").asText();

            String kid = SignedJWT.parse(idToken).getHeader().getKeyID();
            assertThat(kid).endsWith(".rsa");
            assertThat(JWKSet.parse(browser.get(f.sim.baseUrl() + "/jwk").body()).getKeyByKeyId(kid)).isNull();
            assertThat(kid).isNotEqualTo(f.sim.currentSigningKid());
        }

        @Test
        void expired_code_refuses_a_fresh_code_and_waits_for_a_code_exchange() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.EXPIRED_CODE));
            f.systemAccessToken(SANDBOX);

            TokenTest.assertTokenError(f.exchange(SANDBOX, grant), 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");
            assertThat(f.sim.faults().list()).isEmpty();
        }

        @Test
        void generic_faults_reach_every_endpoint_kind() {
            String launch = f.launch(new Browser(), SANDBOX, WILMA, APP);
            for (Endpoint endpoint : new Endpoint[] {Endpoint.JWKS, Endpoint.OIDC_CONFIGURATION, Endpoint.REVOKE, Endpoint.LAUNCHER,
                    Endpoint.ERROR_PAGE, Endpoint.AUTHORIZE}) {
                f.sim.faults().add(Fault.of(endpoint, FaultType.SERVER_ERROR).status(502));
            }

            assertThat(browser.get(f.sim.baseUrl() + "/jwk").status()).isEqualTo(502);
            assertThat(browser.get(f.sim.oidcIssuer(SANDBOX) + ".well-known/openid-configuration").status()).isEqualTo(502);
            assertThat(browser.postForm(f.sim.revocationEndpoint(SANDBOX), Map.of("token", "x")).status()).isEqualTo(502);
            assertThat(browser.get(f.sim.baseUrl() + "/launcher").status()).isEqualTo(502);
            assertThat(browser.get(f.sim.baseUrl() + "/errors/x/instances/y").status()).isEqualTo(502);
            assertThat(f.authorize(browser, SANDBOX, f.authorizeParams(SANDBOX, APP, launch, "launch", null)).status()).isEqualTo(502);
        }

        @Test
        void latency_adds_to_another_fault() {
            f.sim.faults().add(Fault.of(Endpoint.FHIR, FaultType.LATENCY).latency(200));
            f.sim.faults().add(Fault.of(Endpoint.FHIR, FaultType.SERVER_ERROR));

            long start = System.nanoTime();
            int status = browser.get(f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA).status();

            assertThat(status).isEqualTo(503);
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(200);
        }
    }

    @Nested
    class Matching_and_counting {

        @Test
        void a_count_hits_that_many_requests() {
            f.sim.faults().add(Fault.of(Endpoint.DISCOVERY, FaultType.SERVER_ERROR).times(2));

            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(503);
            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(503);
            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(200);
        }

        @Test
        void until_cleared_hits_every_request_until_cleared() {
            f.sim.faults().add(Fault.of(Endpoint.DISCOVERY, FaultType.SERVER_ERROR).untilCleared());
            for (int i = 0; i < 5; i++) {
                assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(503);
            }

            f.sim.faults().clear();

            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(200);
        }

        @Test
        void a_tenant_fault_leaves_other_tenants_alone() {
            f.sim.faults().add(Fault.of(Endpoint.DISCOVERY, FaultType.SERVER_ERROR).forTenant(NORTHWIND).untilCleared());

            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(200);
            assertThat(browser.get(discovery(NORTHWIND)).status()).isEqualTo(503);
        }

        @Test
        void a_fault_of_one_endpoint_leaves_the_others_alone() {
            f.sim.faults().add(Fault.of(Endpoint.METADATA, FaultType.SERVER_ERROR).untilCleared());

            assertThat(browser.get(discovery(SANDBOX)).status()).isEqualTo(200);
            assertThat(browser.get(f.sim.fhirBase(SANDBOX) + "/metadata").status()).isEqualTo(503);
        }

        @Test
        void a_fault_needs_an_endpoint_and_a_type() {
            assertThatThrownBy(() -> f.sim.faults().add(new Fault(null, null, FaultType.LATENCY, 1, 1, 0, null)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
