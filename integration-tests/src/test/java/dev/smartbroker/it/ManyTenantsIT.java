package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.it.support.TenantCopies;
import dev.smartbroker.it.support.TenantOverride;
import dev.smartbroker.simulator.AppRegistration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A realm with 1,000 more tenants: launches still find their tenant, from one of the new ones and from the demo's
 * own, and an unknown {@code iss} is still refused. The broker resolves a launch through a per-node index instead of
 * reading every tenant (docs/architecture.md, "Tenant resolution"); this test proves it stays correct at that size,
 * and prints how long Launch URI hits took before and after (not asserted: the machine is shared). The tenants are
 * removed afterwards, so later tests see the demo realm.
 */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManyTenantsIT {

    static final int TENANTS = 1_000;
    static final String PREFIX = "it-many-";
    /** The one of the 1,000 that is a real (simulated) EHR, in the middle of the list. */
    static final String LAUNCHED = PREFIX + "0500";
    static final String CERNER_CLIENT_ID = "it-many-tenants-broker";
    static final String CERNER_CLIENT_SECRET = "it-many-tenants-secret";
    static final int HITS = 20;

    private final Environment env;
    private final Launches launches;
    /** The inert tenants, written into the database (see {@link TenantCopies}). */
    private final List<String> copies = new ArrayList<>();
    private TenantOverride launched;

    ManyTenantsIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    @BeforeAll
    void register() throws SQLException {
        env.simulator().registerApp(new AppRegistration(CERNER_CLIENT_ID, "SMART broker (many tenants)", CERNER_CLIENT_SECRET,
                List.of(env.realmUrl() + "/broker/" + LAUNCHED + "/endpoint"), env.realmUrl() + "/smart-launch/" + Launches.APP,
                Environment.PROVIDER_SCOPES, null, "v1", "provider", false));
        long before = launchUriMillis();

        long start = System.nanoTime();
        for (int i = 1; i <= TENANTS; i++) {
            String alias = PREFIX + String.format("%04d", i);
            if (!alias.equals(LAUNCHED)) {
                copies.add(alias);
            }
        }
        TenantCopies.insert(env, Environment.SANDBOX_IDP, copies, alias -> "https://fhir-ehr-code.cerner.com/r4/" + alias);
        long copied = (System.nanoTime() - start) / 1_000_000;

        start = System.nanoTime();
        launched = TenantOverride.register(env, LAUNCHED, Map.of("fhirBaseUrl", env.simulator().fhirBase(Environment.MANY_TENANTS_TENANT),
                "environment", "sandbox", "clientId", CERNER_CLIENT_ID, "clientSecret", CERNER_CLIENT_SECRET,
                "smartScopes", "openid fhirUser user/Patient.read user/Encounter.read"));
        long saved = (System.nanoTime() - start) / 1_000_000;
        assertThat(env.admin().get("/realms/" + env.realm() + "/identity-provider/instances?briefRepresentation=true&max=2000")
                .json().size()).isGreaterThanOrEqualTo(TENANTS + 2);

        long first = timed(this::hitLaunchUri);
        long after = launchUriMillis();
        System.out.printf("ManyTenantsIT: %d tenants written in %d ms; saving the %d-th through the admin API took %d ms%n",
                copies.size(), copied, TENANTS, saved);
        System.out.printf("ManyTenantsIT: Launch URI median %d ms with the demo's tenants, %d ms with %d more"
                + " (first hit after adding them, which rebuilds the index: %d ms)%n", before, after, TENANTS, first);
    }

    @AfterAll
    void remove() throws SQLException {
        try {
            if (launched != null) {
                launched.close();
            }
        } finally {
            TenantCopies.remove(env, copies);
            env.simulator().removeApp(CERNER_CLIENT_ID);
        }
        assertThat(env.admin().get("/realms/" + env.realm() + "/identity-provider/instances/" + copies.get(0)).status()).isEqualTo(404);
    }

    /** The median time of {@link #HITS} Launch URI hits from the demo's sandbox tenant. */
    private long launchUriMillis() {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < HITS; i++) {
            times.add(timed(this::hitLaunchUri));
        }
        times.sort(Long::compare);
        return times.get(times.size() / 2);
    }

    private void hitLaunchUri() {
        Browser.Page page = launchUri(env.simulator().fhirBase(Environment.SANDBOX_TENANT));
        assertThat(page.status()).as(page.body()).isEqualTo(303);
    }

    private Browser.Page launchUri(String iss) {
        return new Browser().get(env.realmUrl() + "/smart-launch/" + Launches.APP + "?iss=" + iss + "&launch=L-many");
    }

    private static long timed(Runnable step) {
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void a_launch_through_one_of_the_thousand_tenants_gets_its_tenant_and_patient() {
        Set<String> before = Events.ids(env, "LOGIN");
        Browser browser = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.MANY_TENANTS_TENANT, "WILMA", CERNER_CLIENT_ID));
        Launches.Launched launch = launches.login(browser, handle, Launches.Binding.HANDLE, "portal", "portal");

        String fhirBase = env.simulator().fhirBase(Environment.MANY_TENANTS_TENANT);
        JsonNode id = launch.tokens().idTokenClaims();
        assertThat(id.path("patient").asText()).isEqualTo("12724065");
        assertThat(id.path("tenant").asText()).isEqualTo(Environment.MANY_TENANTS_TENANT);
        assertThat(id.path("fhir_base").asText()).isEqualTo(fhirBase);
        assertThat(launch.tokens().accessTokenClaims().path("patient").asText()).isEqualTo("12724065");
        Events.awaitNew(env, before, "LOGIN", e -> LAUNCHED.equals(e.path("details").path("identity_provider").asText()));
    }

    @Test
    void a_launch_through_the_demo_tenant_still_gets_its_tenant_and_patient() {
        Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "TIMMY", Launches.Binding.HANDLE);

        JsonNode id = launch.tokens().idTokenClaims();
        assertThat(id.path("patient").asText()).isEqualTo("12724069");
        assertThat(id.path("tenant").asText()).isEqualTo(Environment.SANDBOX_TENANT);
        assertThat(id.path("fhir_base").asText()).isEqualTo(env.simulator().fhirBase(Environment.SANDBOX_TENANT));
    }

    @Test
    void a_fhir_base_changed_as_by_another_node_is_refused_at_once_and_found_within_the_index_age() throws Exception {
        String alias = copies.get(0);
        String old = "https://fhir-ehr-code.cerner.com/r4/" + alias;
        String moved = "https://fhir-ehr-code.cerner.com/r4/" + alias + "-moved";
        assertThat(launchUri(old).status()).isEqualTo(303);

        // What an update on another node leaves here: the row changed and the cached provider invalidated, the same
        // count, and no event on this node.
        try (Connection db = DriverManager.getConnection(env.keycloak().jdbcUrl(), "sa", "password");
             PreparedStatement update = db.prepareStatement("UPDATE IDENTITY_PROVIDER_CONFIG SET VALUE = ? WHERE NAME = 'fhirBaseUrl'"
                     + " AND IDENTITY_PROVIDER_ID = (SELECT INTERNAL_ID FROM IDENTITY_PROVIDER WHERE PROVIDER_ALIAS = ?)")) {
            update.setString(1, moved);
            update.setString(2, alias);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        assertThat(env.admin().post("/realms/" + env.realm() + "/clear-realm-cache", "").status()).isEqualTo(204);

        assertThat(launchUri(old).status()).as("the old base, which the index still names").isEqualTo(403);
        assertThat(launchUri(moved).status()).as("the new base, before the index is 30 s old").isEqualTo(403);
        try (Clocks clocks = Clocks.of(env)) {
            // The index ages on Keycloak's clock: move it past the bound instead of waiting for it. The first hit after
            // that still answers from the aged entry and starts the rebuild in the background (a scan of 1,000
            // tenants, seconds here); what is polled for is that job, not a clock.
            clocks.advance(Duration.ofSeconds(31));
            long start = System.nanoTime();
            int status = launchUri(moved).status();
            while (status != 303 && System.nanoTime() - start < 30_000_000_000L) {
                Thread.sleep(200);
                status = launchUri(moved).status();
            }
            assertThat(status).as("the new base, once the index is more than 30 s old").isEqualTo(303);
            System.out.printf("ManyTenantsIT: a FHIR base changed behind the node's back was found %d ms after the index aged%n",
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    @Test
    void an_unknown_iss_is_still_refused_with_its_page_and_event() {
        // By position, not by time: the class moves Keycloak's clock, so its events may carry later times than this JVM's.
        Set<String> before = Events.ids(env, "LOGIN_ERROR");
        String iss = "https://fhir-ehr-code.cerner.com/r4/" + PREFIX + "9999";
        Browser.Page page = new Browser().get(env.realmUrl() + "/smart-launch/" + Launches.APP + "?iss=" + iss + "&launch=L-unknown");

        assertThat(page.status()).as(page.body()).isEqualTo(403);
        assertThat(page.text("#kc-page-title")).isEqualTo("Unknown EHR");
        JsonNode event = Events.awaitNew(env, before, "LOGIN_ERROR", "smart_unknown_iss");
        assertThat(event.path("details").path("smart_iss").asText()).isEqualTo(iss);
    }
}
