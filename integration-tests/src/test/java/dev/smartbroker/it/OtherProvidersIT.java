package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;

import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Events;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A realm that brokers more than SMART tenants: a plain OpenID Connect provider that forwards {@code launch} to its
 * own upstream ("Forwarded query parameters"). The launch step answers only requests meant for the SMART tenants and
 * leaves the others' parameters to them; without such a provider, an incomplete launch still gets its page.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class OtherProvidersIT {

    private static final String PARTNER = "it-partner-oidc";
    /** Never contacted: the browser stops at the redirect to it. */
    private static final String PARTNER_AUTHORIZE = "http://127.0.0.1:9/partner/authorize";

    private final Environment env;
    private final Launches launches;

    OtherProvidersIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
    }

    private String instances() {
        return "/realms/" + env.realm() + "/identity-provider/instances";
    }

    @BeforeEach
    void registerPartner() {
        KeycloakAdmin.Response created = env.admin().post(instances(), Map.of("alias", PARTNER, "providerId", "oidc",
                "enabled", true, "config", Map.of("authorizationUrl", PARTNER_AUTHORIZE, "tokenUrl", "http://127.0.0.1:9/partner/token",
                        "clientId", "partner-client", "clientSecret", "partner-secret", "clientAuthMethod", "client_secret_post",
                        "forwardParameters", "launch", "defaultScope", "openid")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    @AfterEach
    void removePartner() {
        env.admin().delete(instances() + "/" + PARTNER);
    }

    private Browser.Page appLogin(Browser browser, Map<String, String> extra) {
        return browser.follow(browser.get(launches.app().authorizationRequest(extra).url()),
                location -> location.startsWith(PARTNER_AUTHORIZE));
    }

    @Test
    void a_launch_for_the_hinted_provider_is_forwarded_to_it_untouched() {
        Instant start = Instant.now();
        Browser.Page toPartner = appLogin(new Browser(), Map.of("kc_idp_hint", PARTNER, "launch", "partner-launch-7"));
        assertThat(toPartner.location()).startsWith(PARTNER_AUTHORIZE);
        assertThat(Browser.query(toPartner.location())).containsEntry("launch", "partner-launch-7").containsEntry("client_id", "partner-client");
        // Even with the iss of a SMART tenant: the app asked for the other provider.
        Browser.Page withIss = appLogin(new Browser(), Map.of("kc_idp_hint", PARTNER, "launch", "partner-launch-8",
                "iss", env.simulator().fhirBase(Environment.SANDBOX_TENANT)));
        assertThat(Browser.query(withIss.location())).containsEntry("launch", "partner-launch-8");
        assertThat(env.simulator().requestLog().entries()).noneMatch(r -> !r.at().isBefore(start));
        assertThat(env.admin().events(env.realm(), "LOGIN_ERROR")).noneMatch(e -> !Instant.ofEpochMilli(e.path("time").asLong()).isBefore(start)
                && e.path("error").asText().startsWith("smart_"));
    }

    @Test
    void a_launch_without_iss_goes_to_the_login_page_when_another_provider_forwards_launch() {
        Browser browser = new Browser();
        Browser.Page login = appLogin(browser, Map.of("launch", "partner-launch-9"));
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.document().selectFirst("#smart-launch-error")).isNull();
        assertThat(login.document().selectFirst("a[href*='/broker/" + PARTNER + "/login']")).as(login.body()).isNotNull();
        // The clinician picks the partner: the launch parameter reaches it.
        String href = login.document().selectFirst("a[href*='/broker/" + PARTNER + "/login']").attr("href");
        Browser.Page toPartner = browser.follow(browser.get(href.startsWith("http") ? href : env.keycloak().url() + href),
                location -> location.startsWith(PARTNER_AUTHORIZE));
        assertThat(Browser.query(toPartner.location())).containsEntry("launch", "partner-launch-9");
    }

    @Test
    void without_a_forwarding_provider_an_incomplete_launch_is_still_refused_with_its_page() {
        env.admin().update(instances() + "/" + PARTNER, rep -> ((com.fasterxml.jackson.databind.node.ObjectNode) rep.path("config"))
                .put("forwardParameters", "acr_values"));
        Instant start = Instant.now();
        Browser.Page page = appLogin(new Browser(), Map.of("launch", "l-1"));
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.text("#kc-page-title")).isEqualTo("This app was not opened from the EHR");
        Events.await(env, start, "LOGIN_ERROR", "smart_missing_parameters");
    }
}
