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
