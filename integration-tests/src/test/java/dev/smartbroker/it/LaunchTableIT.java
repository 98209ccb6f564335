package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Clocks;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.KeycloakDatabase;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.ShiftsTime;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each launch's sealed record is a row of {@code SMART_LAUNCH} in Keycloak's own database, and the app's client session
 * keeps only a marker per launch (docs/launch-isolation.md §5.1). Rows go when no session can hold them any more: at
 * logout, and past their expiry, when the clean-up task runs. The clock is moved ({@link Clocks}), never waited for.
 */
@ShiftsTime
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchTableIT {

    /** Keycloak's scheduled task that deletes expired launches ({@code LaunchTableProviderFactory}). */
    private static final String EXPIRY_TASK = "smart-launch-expiry";
    /** The margin a row lives beyond the longest session that can hold it ({@code LaunchRows.MARGIN_SECONDS}). */
    private static final long MARGIN_SECONDS = 600;

    private final Environment env;
    private final Launches launches;
    private final KeycloakDatabase db;

    LaunchTableIT(Environment env) {
        this.env = env;
        this.launches = new Launches(env);
        this.db = new KeycloakDatabase(env.keycloak().jdbcUrl());
    }

    @Test
    void a_launch_is_one_sealed_row_and_its_client_session_keeps_only_a_marker() throws Exception {
        long before = Instant.now().getEpochSecond();
        Launches.Launched launch = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        String launchId = launch.tokens().accessTokenClaims().path("smart_launch").asText();

        Map<String, Object> row = row(launchId);
        assertThat(row).as("the launch's row").isNotNull();
        assertThat((String) row.get("DATA")).startsWith("v2.").doesNotContain("12724065").doesNotContain("WILMA");
        assertThat(row.get("OFFLINE_FLAG")).isEqualTo(false);
        long ssoMax = env.admin().get("/realms/smart").json().path("ssoSessionMaxLifespan").asLong();
        assertThat(((Number) row.get("EXPIRES")).longValue()).as("the longest online session, and the margin")
                .isBetween(before + ssoMax + MARGIN_SECONDS, Instant.now().getEpochSecond() + ssoMax + MARGIN_SECONDS);

        // Keycloak writes sessions behind the request: wait (bounded) for the client session's row.
        String sessionData = awaitClientSessionData(launch.tokens().accessTokenClaims().path("sid").asText(), "smart.launch." + launchId);
        assertThat(sessionData).contains("\"smart.launch." + launchId + "\":\"row\"").doesNotContain("v2.");
    }

    @Test
    void logging_out_deletes_the_session_s_launches() throws Exception {
        Browser browser = new Browser();
        Launches.Launched first = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE);
        Launches.Launched second = launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE);
        String firstId = first.tokens().accessTokenClaims().path("smart_launch").asText();
        String secondId = second.tokens().accessTokenClaims().path("smart_launch").asText();
        assertThat(row(firstId)).isNotNull();
        assertThat(row(secondId)).isNotNull();

        Browser.Page logout = browser.follow(browser.get(env.realmUrl() + "/protocol/openid-connect/logout?client_id=sample-app&id_token_hint="
                + second.tokens().idToken()));
        assertThat(logout.status()).isLessThan(400);

        assertThat(row(firstId)).as("first launch after logout").isNull();
        assertThat(row(secondId)).as("second launch after logout").isNull();
    }

    @Test
    void a_launch_whose_app_took_offline_tokens_lives_as_long_as_offline_sessions_and_survives_logout() throws Exception {
        withOfflineAccess(this::offlineLaunchSurvivesLogout);
    }

    @Test
    void a_launch_held_by_an_offline_session_keeps_its_row_when_the_online_session_drops_it() throws Exception {
        withOfflineAccess(this::offlineLaunchSurvivesPrune);
    }

    private void withOfflineAccess(SqlAction action) throws SQLException {
        String optionalScopes = "/realms/smart/clients/" + env.admin().clientUuid("smart", Launches.APP) + "/optional-client-scopes/";
        String offlineAccess = null;
        for (JsonNode scope : env.admin().get("/realms/smart/client-scopes").json()) {
            if ("offline_access".equals(scope.path("name").asText())) {
                offlineAccess = scope.path("id").asText();
            }
        }
        assertThat(offlineAccess).as("Keycloak's offline_access client scope").isNotNull();
        env.admin().put(optionalScopes + offlineAccess, Map.of());
        try {
            action.run();
        } finally {
            env.admin().delete(optionalScopes + offlineAccess);
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    private Launches.Launched offlineLaunch(Browser browser) {
        Launches.Launched launch = launches.launch(browser, Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE,
                Map.of("scope", "openid profile offline_access"));
        assertThat(launch.tokens().json().path("scope").asText()).contains("offline_access");
        return launch;
    }

    private void offlineLaunchSurvivesPrune() throws SQLException {
        Browser browser = new Browser();
        // The app has a session in this browser already (without one, Keycloak starts a new one at the next login).
        String onlineId = launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE)
                .tokens().accessTokenClaims().path("smart_launch").asText();
        Launches.Launched offline = offlineLaunch(browser);
        String offlineId = offline.tokens().accessTokenClaims().path("smart_launch").asText();
        // 20 more launches in the same app session: it keeps 20 (the default) and drops the two before them.
        List<String> later = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            later.add(launches.launch(browser, Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE)
                    .tokens().accessTokenClaims().path("smart_launch").asText());
        }
        assertThat(later).doesNotContain(offlineId).doesNotHaveDuplicates();
        assertThat(row(onlineId)).as("the row of the dropped launch only the online session held").isNull();
        assertThat(row(offlineId)).as("the row of the launch its offline session still holds").isNotNull();
        assertThat(row(offlineId).get("OFFLINE_FLAG")).isEqualTo(true);

        // The offline session still opens its launch, with the EHR's tokens: nothing ended it.
        var refreshed = launches.app().refresh(offline.tokens().refreshToken());
        assertThat(refreshed.status()).as(refreshed.json().toString()).isEqualTo(200);
        assertThat(refreshed.accessTokenClaims().path("smart_launch").asText()).isEqualTo(offlineId);
        assertThat(refreshed.json().path("patient").asText()).isEqualTo("12724065");
        Http.Reply ehrToken = Http.get(env.realmUrl() + "/cerner/launch-token", refreshed.accessToken());
        assertThat(ehrToken.status()).as(ehrToken.body()).isEqualTo(200);
        assertThat(ehrToken.json().path("patient").asText()).isEqualTo("12724065");
    }

    private void offlineLaunchSurvivesLogout() throws SQLException {
        Browser browser = new Browser();
        long before = Instant.now().getEpochSecond();
        Launches.Launched launch = offlineLaunch(browser);
        String launchId = launch.tokens().accessTokenClaims().path("smart_launch").asText();

        Map<String, Object> row = row(launchId);
        assertThat(row.get("OFFLINE_FLAG")).isEqualTo(true);
        long offlineIdle = env.admin().get("/realms/smart").json().path("offlineSessionIdleTimeout").asLong();
        assertThat(((Number) row.get("EXPIRES")).longValue()).isGreaterThanOrEqualTo(before + offlineIdle + MARGIN_SECONDS);

        browser.follow(browser.get(env.realmUrl() + "/protocol/openid-connect/logout?client_id=sample-app&id_token_hint="
                + launch.tokens().idToken()));
        assertThat(row(launchId)).as("kept for the offline session").isNotNull();

        // The offline token still carries its launch: the app's refresh gets the launch context.
        var refreshed = launches.app().refresh(launch.tokens().refreshToken());
        assertThat(refreshed.status()).as(refreshed.json().toString()).isEqualTo(200);
        assertThat(refreshed.accessTokenClaims().path("smart_launch").asText()).isEqualTo(launchId);
        assertThat(refreshed.json().path("patient").asText()).isEqualTo("12724065");
        assertThat(refreshed.accessTokenClaims().path("patient").asText()).isEqualTo("12724065");
        // Keycloak builds the ID token of an offline refresh on a context of its own: it still has the launch's claims.
        assertThat(refreshed.idTokenClaims().path("fhirUser").asText()).as(refreshed.idTokenClaims().toString())
                .isEqualTo(launch.tokens().idTokenClaims().path("fhirUser").asText()).isNotEmpty();
        assertThat(refreshed.idTokenClaims().path("patient").asText()).isEqualTo(launch.tokens().idTokenClaims().path("patient").asText());
    }

    @Test
    void expired_launches_are_deleted_by_the_clean_up_and_live_ones_stay() throws Exception {
        // A realm whose sessions last at most 10 minutes: its launches' rows expire after 10 minutes and the margin.
        int ssoMax = env.admin().get("/realms/smart").json().path("ssoSessionMaxLifespan").asInt();
        String shortLived;
        try {
            env.admin().update("/realms/smart", realm -> realm.put("ssoSessionMaxLifespan", 600));
            shortLived = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "WILMA", Launches.Binding.HANDLE)
                    .tokens().accessTokenClaims().path("smart_launch").asText();
        } finally {
            env.admin().update("/realms/smart", realm -> realm.put("ssoSessionMaxLifespan", ssoMax));
        }
        String longLived = launches.launch(new Browser(), Environment.SANDBOX_TENANT, "JOE", Launches.Binding.HANDLE)
                .tokens().accessTokenClaims().path("smart_launch").asText();

        try (Clocks clocks = Clocks.of(env)) {
            clocks.runKeycloakTask(EXPIRY_TASK);
            assertThat(row(shortLived)).as("not yet expired").isNotNull();

            clocks.advance(Duration.ofSeconds(600 + MARGIN_SECONDS + 5));
            clocks.runKeycloakTask(EXPIRY_TASK);
            assertThat(row(shortLived)).as("past the longest session of its realm").isNull();
            assertThat(row(longLived)).as("a launch of a session that may still live").isNotNull();
        }
    }

    private Map<String, Object> row(String launchId) throws SQLException {
        assertThat(launchId).isNotBlank();
        List<Map<String, Object>> rows = db.query("SELECT ID, DATA, EXPIRES, OFFLINE_FLAG FROM SMART_LAUNCH WHERE ID = ?", launchId);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private String awaitClientSessionData(String userSessionId, String needle) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        String data = "";
        while (Instant.now().isBefore(deadline)) {
            data = db.query("SELECT DATA FROM OFFLINE_CLIENT_SESSION WHERE USER_SESSION_ID = ?", userSessionId).stream()
                    .map(r -> String.valueOf(r.get("DATA"))).reduce("", String::concat);
            if (data.contains(needle)) {
                return data;
            }
            Thread.sleep(200);
        }
        return data;
    }
}
