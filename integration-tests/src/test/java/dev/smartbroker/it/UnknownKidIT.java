package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.Endpoint;
import dev.smartbroker.simulator.Fault;
import dev.smartbroker.simulator.FaultType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An id_token signed with a key the EHR has not published, while its key endpoint takes 15 s to answer: the search
 * for the key is bounded (3 s, fetches included), concurrent launches share one fetch, and each clinician gets the
 * "could not be verified" page with an event instead of a browser hanging for minutes.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class UnknownKidIT {

    /** The broker's budget for an unknown kid plus the code exchange and the page, with room for a loaded machine. */
    private static final Duration BOUND = Duration.ofSeconds(7);

    private final Environment env;
    private final Launches launches;

    UnknownKidIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @AfterEach
    void clearFaults() {
        env.simulator().faults().clear();
    }

    /** A launch stopped on Cerner's redirect back to the broker, ready to be delivered. */
    private record Pending(Browser browser, Browser.Page callback) {
    }

    private Pending upToTheCallback() {
        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.SANDBOX_TENANT, "NANCY", Environment.BROKER_CLIENT_ID));
        OidcClient.AuthorizationRequest request = launches.app().authorizationRequest(Map.of("kc_launch", handle));
        Browser.Page callback = CernerPages.signInAndAllow(browser, browser.get(request.url()), "portal", "portal",
                l -> l.contains("/broker/" + Environment.SANDBOX_IDP + "/endpoint"));
        return new Pending(browser, callback);
    }

    private static Duration deliver(Pending pending) {
        long start = System.nanoTime();
        Browser.Page page = pending.browser().get(pending.callback().location());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(page.status()).as(page.body()).isEqualTo(502);
        assertThat(page.text("#kc-page-title")).isEqualTo("Sign-in could not be verified");
        return took;
    }

    @Test
    void one_launch_and_three_at_once_end_within_the_bound_on_one_key_fetch() throws Exception {
        // Warm the key cache, then sign with a new kid the slow endpoint will not deliver in time.
        launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        env.simulator().rotateSigningKey();
        env.simulator().faults().add(Fault.of(Endpoint.JWKS, FaultType.LATENCY).latency(15_000).untilCleared());

        Instant start = Instant.now();
        assertThat(deliver(upToTheCallback())).isLessThan(BOUND);
        Events.await(env, start, "IDENTITY_PROVIDER_LOGIN_ERROR", "cerner_id_token_invalid");

        List<Pending> pending = List.of(upToTheCallback(), upToTheCallback(), upToTheCallback());
        int logOffset = env.keycloak().process().logText().length();
        ExecutorService pool = Executors.newFixedThreadPool(pending.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Duration>> took = new ArrayList<>();
            for (Pending launch : pending) {
                took.add(pool.submit(() -> {
                    go.await();
                    return deliver(launch);
                }));
            }
            go.countDown();
            for (Future<Duration> each : took) {
                assertThat(each.get(1, TimeUnit.MINUTES)).isLessThan(BOUND);
            }
        } finally {
            pool.shutdownNow();
        }
        // The simulator logs a request once answered (15 s later); the broker logs each fetch it gave up on.
        long fetches = env.keycloak().process().logText().substring(logOffset).lines()
                .filter(line -> line.contains("Could not fetch JWKS")).count();
        assertThat(fetches).as("JWKS fetches for three concurrent launches").isEqualTo(1);
    }
}
