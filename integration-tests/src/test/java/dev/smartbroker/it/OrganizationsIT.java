package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A hospital as a Keycloak Organization (README, "Organizations"): its tenant is linked to it, a launch through that
 * tenant makes the clinician a managed member, and an app that asks for Keycloak's {@code organization} scope finds the
 * hospital in its tokens. Each test sets the realm up as an admin would and puts it back as it was.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class OrganizationsIT {

    static final String ORGANIZATION = "northwind";
    static final Map<String, String> ORGANIZATION_SCOPE = Map.of("scope", "openid profile organization");
    /** The nurse of the simulated tenants (Practitioner id), for first launches of a clinician Keycloak has not seen. */
    static final String NURSE_USERNAME = "cerner-northwind.practitioner.4122622";

    private final Environment env;
    private final Launches launches;
    private final String realm;
    private String organizationId;

    OrganizationsIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
        this.realm = "/realms/" + env.realm();
    }

    private KeycloakAdmin admin() {
        return env.admin();
    }

    @BeforeEach
    void northwind_is_an_organization_linked_to_its_tenant() {
        admin().update(realm, rep -> rep.put("organizationsEnabled", true));
        KeycloakAdmin.Response created = admin().post(realm + "/organizations", Map.of("name", "Northwind Health", "alias", ORGANIZATION,
                "enabled", true, "domains", List.of(Map.of("name", "northwind.example"))));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        organizationId = admin().get(realm + "/organizations?search=Northwind%20Health&exact=true").json().get(0).path("id").asText();
        KeycloakAdmin.Response linked = admin().post(realm + "/organizations/" + organizationId + "/identity-providers",
                Environment.NORTHWIND_IDP);
        assertThat(linked.status()).as(linked.body()).isEqualTo(204);
    }

    @AfterEach
    void the_realm_as_it_was() {
        if (organizationId != null) {
            admin().delete(realm + "/organizations/" + organizationId + "/identity-providers/" + Environment.NORTHWIND_IDP);
            // Deleting the organization deletes its managed members too (Keycloak's rule): their next launch creates them again.
            admin().delete(realm + "/organizations/" + organizationId);
        }
        admin().update(realm, rep -> rep.put("organizationsEnabled", false));
        assertThat(admin().get(realm).json().path("organizationsEnabled").asBoolean()).isFalse();
        assertThat(admin().get(realm + "/identity-provider/instances/" + Environment.NORTHWIND_IDP).json().path("organizationId").isTextual())
                .as("the tenant linked to no organization").isFalse();
    }

    private List<JsonNode> members() {
        List<JsonNode> members = new ArrayList<>();
        admin().get(realm + "/organizations/" + organizationId + "/members").json().forEach(members::add);
        return members;
    }

    @Test
    void a_launch_through_the_linked_tenant_makes_the_clinician_a_member_and_the_app_s_tokens_name_the_hospital() {
        Launches.Launched first = launches.launch(new Browser(), Environment.NORTHWIND_TENANT, "HAILEY", Launches.Binding.HANDLE,
                ORGANIZATION_SCOPE);
        JsonNode access = first.tokens().accessTokenClaims();
        // Keycloak's organization mapper as the realm export configures it: the aliases of the user's organizations.
        assertThat(access.path("organization")).as(access.toString()).hasSize(1);
        assertThat(access.path("organization").get(0).asText()).isEqualTo(ORGANIZATION);
        assertThat(first.tokens().idTokenClaims().path("organization").get(0).asText()).isEqualTo(ORGANIZATION);
        // The launch is what it was: patient and tenant as always.
        assertThat(access.path("patient").asText()).isEqualTo("12724068");
        assertThat(access.path("tenant").asText()).isEqualTo(Environment.NORTHWIND_TENANT);

        String userId = access.path("sub").asText();
        assertThat(members()).singleElement().satisfies(member -> {
            assertThat(member.path("id").asText()).isEqualTo(userId);
            assertThat(member.path("membershipType").asText()).isEqualTo("MANAGED");
        });

        // A second launch of the same clinician changes nothing, and a refreshed token keeps the organization.
        Launches.Launched second = launches.launch(new Browser(), Environment.NORTHWIND_TENANT, "TIMMY", Launches.Binding.HANDLE,
                ORGANIZATION_SCOPE);
        assertThat(second.tokens().accessTokenClaims().path("sub").asText()).isEqualTo(userId);
        assertThat(second.tokens().accessTokenClaims().path("organization").get(0).asText()).isEqualTo(ORGANIZATION);
        assertThat(members()).hasSize(1);
        assertThat(admin().get(realm + "/organizations/members/" + userId + "/organizations").json()).hasSize(1);
        OidcClient.TokenResponse refreshed = first.client().refresh(first.tokens().refreshToken());
        assertThat(refreshed.status()).as(refreshed.json().toString()).isEqualTo(200);
        assertThat(refreshed.accessTokenClaims().path("organization").get(0).asText()).isEqualTo(ORGANIZATION);
        assertThat(refreshed.accessTokenClaims().path("patient").asText()).isEqualTo("12724068");
    }

    @Test
    void an_app_that_does_not_ask_for_the_organization_scope_gets_no_organization_claim() {
        Launches.Launched launched = launches.launch(new Browser(), Environment.NORTHWIND_TENANT, "HAILEY", Launches.Binding.HANDLE);
        assertThat(launched.tokens().accessTokenClaims().has("organization")).isFalse();
        // The membership is the broker's doing, whatever the app asked for.
        assertThat(members()).extracting(m -> m.path("id").asText())
                .containsExactly(launched.tokens().accessTokenClaims().path("sub").asText());
    }

    @Test
    void a_launch_through_an_unlinked_tenant_carries_no_organization() {
        Launches.Launched sandbox = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE,
                ORGANIZATION_SCOPE);
        assertThat(sandbox.tokens().accessTokenClaims().has("organization")).as(sandbox.tokens().accessTokenClaims().toString()).isFalse();
        assertThat(sandbox.tokens().idTokenClaims().has("organization")).isFalse();
        assertThat(members()).isEmpty();
    }

    @Test
    void first_launches_of_a_new_clinician_at_the_same_moment_make_one_user_and_one_membership() throws Exception {
        for (JsonNode user : admin().get(realm + "/users?username=" + NURSE_USERNAME + "&exact=true").json()) {
            admin().delete(realm + "/users/" + user.path("id").asText());
        }
        int tabs = 4;
        OidcClient app = launches.app();
        List<Browser> browsers = new ArrayList<>();
        List<OidcClient.AuthorizationRequest> requests = new ArrayList<>();
        List<Browser.Page> callbacks = new ArrayList<>();
        for (int i = 0; i < tabs; i++) {
            Browser browser = new Browser();
            String handle = launches.handleOf(launches.openLaunchUri(browser, Environment.NORTHWIND_TENANT, "HAILEY",
                    Environment.BROKER_JWT_CLIENT_ID));
            Map<String, String> parameters = new java.util.LinkedHashMap<>(ORGANIZATION_SCOPE);
            parameters.put("kc_launch", handle);
            OidcClient.AuthorizationRequest request = app.authorizationRequest(parameters);
            // Each tab signs in at the EHR and holds its answer back; then all callbacks reach Keycloak at once.
            callbacks.add(CernerPages.signInAndAllow(browser, browser.get(request.url()), "nurse", "nurse",
                    l -> l.contains("/broker/" + Environment.NORTHWIND_IDP + "/endpoint")));
            browsers.add(browser);
            requests.add(request);
        }
        ExecutorService pool = Executors.newFixedThreadPool(tabs);
        CountDownLatch go = new CountDownLatch(1);
        Set<String> subjects = new HashSet<>();
        try {
            List<Future<OidcClient.TokenResponse>> results = new ArrayList<>();
            for (int i = 0; i < tabs; i++) {
                Browser browser = browsers.get(i);
                Browser.Page callback = callbacks.get(i);
                OidcClient.AuthorizationRequest request = requests.get(i);
                Callable<OidcClient.TokenResponse> finish = () -> {
                    go.await();
                    Browser.Page back = browser.follow(browser.get(callback.location()), l -> l.startsWith(app.redirectUri()));
                    if (!back.isRedirect()) {
                        throw new AssertionError("launch ended on " + back + "\n" + back.body());
                    }
                    return app.exchange(request, back.location());
                };
                results.add(pool.submit(finish));
            }
            go.countDown();
            for (Future<OidcClient.TokenResponse> result : results) {
                OidcClient.TokenResponse tokens = result.get(2, TimeUnit.MINUTES);
                assertThat(tokens.status()).isEqualTo(200);
                assertThat(tokens.accessTokenClaims().path("organization").get(0).asText()).isEqualTo(ORGANIZATION);
                subjects.add(tokens.accessTokenClaims().path("sub").asText());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(subjects).hasSize(1);
        assertThat(admin().get(realm + "/users?username=" + NURSE_USERNAME + "&exact=true").json()).hasSize(1);
        assertThat(members()).singleElement().satisfies(member -> {
            assertThat(member.path("id").asText()).isEqualTo(subjects.iterator().next());
            assertThat(member.path("membershipType").asText()).isEqualTo("MANAGED");
        });
    }
}
