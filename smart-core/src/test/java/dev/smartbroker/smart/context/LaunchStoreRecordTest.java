package dev.smartbroker.smart.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.testing.ClientSessions;
import dev.smartbroker.smart.testing.MemoryLaunchTable;
import dev.smartbroker.smart.token.UpstreamTokens;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.keycloak.common.util.Time;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeyManager;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.SingleUseObjectProvider;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.UserSessionProvider;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

/**
 * One sealed record per launch in a row of the launch table, a marker note per launch in the client session, and
 * launches stored before (one note, or two) that must keep working after an upgrade.
 */
class LaunchStoreRecordTest {

    private static final String PATIENT = "12724066";
    private static final String ACCESS_TOKEN = "eyJ6aXAiOiJERUYi.cerner-access-token";

    private final KeycloakSession session = mock(KeycloakSession.class);
    private final RealmModel realm = mock(RealmModel.class);
    private final ClientModel client = mock(ClientModel.class);
    private final Map<String, String> notes = new HashMap<>();
    private final AuthenticatedClientSessionModel clientSession = ClientSessions.withNotes(realm, client, notes);
    private final MemoryLaunchTable table = MemoryLaunchTable.in(session);

    @BeforeEach
    void realmClientAndSession() {
        KeyManager keys = mock(KeyManager.class);
        KeyWrapper key = SessionSealerTest.aes("kid-1", 3);
        when(session.keys()).thenReturn(keys);
        when(keys.getActiveKey(realm, KeyUse.ENC, Algorithm.AES)).thenReturn(key);
        when(keys.getKey(eq(realm), eq("kid-1"), eq(KeyUse.ENC), eq(Algorithm.AES))).thenReturn(key);
        when(session.singleUseObjects()).thenReturn(mock(SingleUseObjectProvider.class));
        when(session.sessions()).thenReturn(mock(UserSessionProvider.class));
        when(realm.getId()).thenReturn("realm-id");
        when(realm.getName()).thenReturn("smart");
        when(client.getId()).thenReturn("client-uuid");
        when(client.getClientId()).thenReturn("app");
        when(realm.getSsoSessionMaxLifespan()).thenReturn(36_000);
        when(realm.getOfflineSessionIdleTimeout()).thenReturn(2_592_000);
    }

    @Test
    void a_launch_is_staged_as_one_sealed_row_and_a_marker_note() {
        String launchId = LaunchStore.newLaunchId();
        long before = Time.currentTime();
        stage(context(launchId), tokens("rt-1"));

        assertThat(notes).containsOnly(Map.entry(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, LaunchStore.ROW_MARKER));
        assertThat(table.rows).containsOnlyKeys(launchId);
        LaunchEntity row = table.rows.get(launchId);
        assertThat(row.getData()).startsWith("v2.kid-1.").doesNotContain(PATIENT).doesNotContain("cerner-access-token").doesNotContain("rt-1");
        assertThat(row.getRealmId()).isEqualTo("realm-id");
        assertThat(row.getClientId()).isEqualTo("client-uuid");
        assertThat(row.isOffline()).isFalse();
        assertThat(row.getExpires()).as("the longest an online session lasts, with the margin")
                .isBetween(before + 36_000 + LaunchRows.MARGIN_SECONDS, Time.currentTime() + 36_000 + LaunchRows.MARGIN_SECONDS);
        StoredLaunch stored = LaunchStore.launch(session, clientSession, launchId).orElseThrow();
        assertThat(stored.context().patient()).isEqualTo(PATIENT);
        assertThat(stored.tokens().accessToken()).isEqualTo(ACCESS_TOKEN);
        assertThat(LaunchStore.launchIds(clientSession)).containsExactly(launchId);
    }

    @Test
    void a_record_copied_under_another_launch_id_does_not_open() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));
        String other = LaunchStore.newLaunchId() + "x";
        LaunchEntity row = table.rows.get(launchId);
        table.rows.put(other, new LaunchEntity(other, row.getRealmId(), row.getClientId(), row.getExpires(), row.getData()));
        notes.put(Smart.NOTE_LAUNCH_RECORD_PREFIX + other, LaunchStore.ROW_MARKER);

        assertThat(LaunchStore.launch(session, clientSession, other)).isEmpty();
        assertThat(LaunchStore.context(session, clientSession, launchId)).isPresent();
    }

    @Test
    void a_row_of_another_client_or_realm_is_not_found() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));
        LaunchEntity row = table.rows.get(launchId);

        table.rows.put(launchId, new LaunchEntity(launchId, "realm-id", "other-client", row.getExpires(), row.getData()));
        assertThat(LaunchStore.launch(session, clientSession, launchId)).isEmpty();
        table.rows.put(launchId, new LaunchEntity(launchId, "other-realm", "client-uuid", row.getExpires(), row.getData()));
        assertThat(LaunchStore.launch(session, clientSession, launchId)).isEmpty();
    }

    @Test
    void a_marker_whose_row_is_gone_is_an_unknown_launch() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));
        table.rows.clear();

        assertThat(LaunchStore.launch(session, clientSession, launchId)).isEmpty();
        LaunchStore.storeTokens(session, clientSession, context(launchId), tokens("rt-2"));
        assertThat(table.rows).as("a launch whose row expired is not brought back by a refresh").isEmpty();
    }

    @Test
    void new_tokens_replace_the_old_and_the_context_stays() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));

        LaunchStore.storeTokens(session, clientSession, opened(launchId), tokens("rt-2"));

        assertThat(notes).containsOnly(Map.entry(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, LaunchStore.ROW_MARKER));
        assertThat(table.rows).hasSize(1);
        assertThat(LaunchStore.tokens(session, clientSession, launchId)).get().extracting(UpstreamTokens::refreshToken).isEqualTo("rt-2");
        assertThat(LaunchStore.context(session, clientSession, launchId)).get().extracting(LaunchContext::patient).isEqualTo(PATIENT);
    }

    @Test
    void forgotten_tokens_leave_the_launch_known_without_them() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));

        LaunchStore.forgetTokens(session, clientSession, opened(launchId));

        assertThat(LaunchStore.tokens(session, clientSession, launchId)).isEmpty();
        assertThat(LaunchStore.context(session, clientSession, launchId)).isPresent();
        assertThat(table.rows).hasSize(1);
    }

    @Test
    void at_logout_an_online_launch_leaves_the_table() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));

        LaunchStore.end(session, clientSession, opened(launchId));

        assertThat(table.rows).isEmpty();
        assertThat(LaunchStore.launch(session, clientSession, launchId)).isEmpty();
    }

    @Test
    void at_logout_a_launch_stored_in_the_session_before_the_table_gets_no_row() {
        String launchId = LaunchStore.newLaunchId();
        storeLegacy(launchId);

        LaunchStore.end(session, clientSession, opened(launchId));

        assertThat(table.rows).as("the session ends, and its notes with it").isEmpty();
    }

    @Test
    void a_launch_with_offline_tokens_outlives_the_online_session_without_its_ehr_tokens() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));
        long before = Time.currentTime();

        LaunchStore.keepForOffline(session, clientSession, launchId);
        LaunchEntity row = table.rows.get(launchId);
        assertThat(row.isOffline()).isTrue();
        assertThat(row.getExpires()).as("the offline idle timeout, with the margin")
                .isGreaterThanOrEqualTo(before + 2_592_000 + LaunchRows.MARGIN_SECONDS);

        LaunchStore.end(session, clientSession, opened(launchId));
        assertThat(LaunchStore.context(session, clientSession, launchId)).isPresent();
        assertThat(LaunchStore.tokens(session, clientSession, launchId)).as("revoked at logout").isEmpty();
    }

    @Test
    void an_offline_launch_in_use_is_renewed_when_half_its_idle_time_has_gone() {
        String launchId = LaunchStore.newLaunchId();
        stage(context(launchId), tokens("rt-1"));
        LaunchStore.keepForOffline(session, clientSession, launchId);
        LaunchEntity row = table.rows.get(launchId);
        long fresh = row.getExpires();

        row.setExpires(fresh - 1_000);
        LaunchStore.launch(session, clientSession, launchId);
        assertThat(row.getExpires()).as("not yet due: no write").isEqualTo(fresh - 1_000);

        row.setExpires(Time.currentTime() + 1_000_000);
        LaunchStore.launch(session, clientSession, launchId);
        assertThat(row.getExpires()).isGreaterThanOrEqualTo(fresh);

        when(realm.isOfflineSessionMaxLifespanEnabled()).thenReturn(true);
        when(realm.getOfflineSessionMaxLifespan()).thenReturn(5_184_000);
        row.setExpires(Time.currentTime() + 1_000_000);
        LaunchStore.launch(session, clientSession, launchId);
        assertThat(row.getExpires()).as("offline sessions with a maximum are not renewed").isEqualTo(Time.currentTime() + 1_000_000);
    }

    @Test
    void tokens_of_a_launch_dropped_meanwhile_are_not_stored() {
        LaunchStore.storeTokens(session, clientSession, context(LaunchStore.newLaunchId()), tokens("rt-2"));

        assertThat(notes).as("no tokens note that no launch id would list, and so no prune would ever remove").isEmpty();
        assertThat(table.rows).isEmpty();
    }

    @Test
    void a_launch_stored_as_two_notes_before_the_upgrade_still_opens() {
        String launchId = LaunchStore.newLaunchId();
        storeLegacy(launchId);

        StoredLaunch stored = LaunchStore.launch(session, clientSession, launchId).orElseThrow();
        assertThat(stored.context().patient()).isEqualTo(PATIENT);
        assertThat(stored.tokens().refreshToken()).isEqualTo("rt-legacy");
        assertThat(LaunchStore.launchIds(clientSession)).containsExactly(launchId);
    }

    @Test
    void a_two_note_launch_moves_to_a_row_when_its_tokens_change() {
        String launchId = LaunchStore.newLaunchId();
        storeLegacy(launchId);

        LaunchStore.storeTokens(session, clientSession, opened(launchId), tokens("rt-2"));

        assertThat(notes).containsOnly(Map.entry(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, LaunchStore.ROW_MARKER));
        assertThat(table.rows).containsOnlyKeys(launchId);
        assertThat(LaunchStore.tokens(session, clientSession, launchId)).get().extracting(UpstreamTokens::refreshToken).isEqualTo("rt-2");
        assertThat(LaunchStore.context(session, clientSession, launchId)).get().extracting(LaunchContext::patient).isEqualTo(PATIENT);
    }

    @Test
    void forgetting_the_tokens_of_a_two_note_launch_removes_its_tokens_note() {
        String launchId = LaunchStore.newLaunchId();
        storeLegacy(launchId);

        LaunchStore.forgetTokens(session, clientSession, opened(launchId));

        assertThat(notes).containsOnlyKeys(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId);
        assertThat(LaunchStore.tokens(session, clientSession, launchId)).isEmpty();
        assertThat(LaunchStore.context(session, clientSession, launchId)).isPresent();
    }

    @Test
    void a_one_note_launch_still_opens_and_moves_to_a_row_when_its_tokens_change() {
        String launchId = LaunchStore.newLaunchId();
        String record = "{\"context\":{\"launch_id\":\"" + launchId + "\",\"idp\":\"cerner-a\",\"tenant\":\"t\",\"patient\":\""
                + PATIENT + "\",\"iat\":1},\"tokens\":{\"at\":\"" + ACCESS_TOKEN + "\",\"rt\":\"rt-note\",\"exp\":2,\"lifetime\":570,"
                + "\"scope\":\"launch\",\"refreshed_at\":0}}";
        notes.put(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, SessionSealer.seal(session, realm, record,
                "realm-id|client-uuid|" + launchId + "|launch"));

        assertThat(LaunchStore.tokens(session, clientSession, launchId)).get().extracting(UpstreamTokens::refreshToken).isEqualTo("rt-note");

        LaunchStore.storeTokens(session, clientSession, opened(launchId), tokens("rt-2"));
        assertThat(notes).containsOnly(Map.entry(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, LaunchStore.ROW_MARKER));
        assertThat(LaunchStore.tokens(session, clientSession, launchId)).get().extracting(UpstreamTokens::refreshToken).isEqualTo("rt-2");
        assertThat(LaunchStore.context(session, clientSession, launchId)).get().extracting(LaunchContext::patient).isEqualTo(PATIENT);
    }

    @Test
    void a_two_note_context_is_not_taken_for_a_record_of_another_launch() {
        String launchId = LaunchStore.newLaunchId();
        storeLegacy(launchId);
        String other = LaunchStore.newLaunchId() + "x";
        notes.put(Smart.NOTE_LAUNCH_RECORD_PREFIX + other, notes.get(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId));

        assertThat(LaunchStore.launch(session, clientSession, other)).isEmpty();
    }

    @Test
    void the_configured_number_of_launches_is_kept_in_the_clinician_s_own_session() {
        UserModel clinician = mock(UserModel.class);
        when(clinician.getId()).thenReturn("clinician-1");
        UserSessionModel own = mock(UserSessionModel.class);
        when(own.getUser()).thenReturn(clinician);
        when(own.getAuthenticatedClientSessionByClient("client-uuid")).thenReturn(clientSession);
        when(session.sessions().getUserSession(realm, "browser-session")).thenReturn(own);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String launchId = String.format("%011x", 0x1a000000000L + i) + "-" + "r".repeat(16);
            ids.add(launchId);
            stage(context(launchId), tokens("rt-" + i), clinician, 3);
        }

        assertThat(LaunchStore.launchIds(clientSession)).containsExactlyInAnyOrderElementsOf(ids.subList(2, 5));
        assertThat(table.rows.keySet()).as("dropped launches leave the table too").containsExactlyInAnyOrderElementsOf(ids.subList(2, 5));
    }

    private void stage(LaunchContext context, UpstreamTokens tokens) {
        stage(context, tokens, mock(UserModel.class), LaunchStore.DEFAULT_LAUNCHES_KEPT);
    }

    private void stage(LaunchContext context, UpstreamTokens tokens, UserModel clinician, int kept) {
        AuthenticationSessionModel authSession = mock(AuthenticationSessionModel.class);
        when(authSession.getRealm()).thenReturn(realm);
        when(authSession.getClient()).thenReturn(client);
        RootAuthenticationSessionModel browser = mock(RootAuthenticationSessionModel.class);
        when(browser.getId()).thenReturn("browser-session");
        when(authSession.getParentSession()).thenReturn(browser);
        when(authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM)).thenReturn("challenge-" + context.launchId());
        // Keycloak copies the auth session's client notes into the client session when it issues the code.
        doAnswer(i -> notes.put(i.getArgument(0), i.getArgument(1))).when(authSession).setClientNote(anyString(), anyString());
        LaunchStore.stage(session, authSession, clinician, context, tokens, kept);
    }

    /** The layout before the single record: the context and the tokens each sealed under a key and kind of their own. */
    private void storeLegacy(String launchId) {
        String prefix = "realm-id|client-uuid|" + launchId + "|";
        notes.put(Smart.NOTE_LAUNCH_RECORD_PREFIX + launchId, SessionSealer.seal(session, realm,
                "{\"launch_id\":\"" + launchId + "\",\"idp\":\"cerner-a\",\"tenant\":\"t\",\"patient\":\"" + PATIENT + "\",\"iat\":1}",
                prefix + "context"));
        notes.put(LaunchStore.TOKENS_PREFIX + launchId, SessionSealer.seal(session, realm,
                "{\"at\":\"" + ACCESS_TOKEN + "\",\"rt\":\"rt-legacy\",\"exp\":2,\"lifetime\":570,\"scope\":\"launch\",\"refreshed_at\":0}",
                prefix + "tokens"));
    }

    /** The context as a caller opens it from the client session before it changes the launch's tokens. */
    private LaunchContext opened(String launchId) {
        return LaunchStore.context(session, clientSession, launchId).orElseThrow();
    }

    private static LaunchContext context(String launchId) {
        return new LaunchContext(launchId, "cerner-a", "tenant-1", "https://fhir/r4/tenant-1", null, PATIENT, null, null, null, 1);
    }

    private static UpstreamTokens tokens(String refreshToken) {
        return new UpstreamTokens(ACCESS_TOKEN, refreshToken, 2_000_000_000L, 570, "launch online_access", 0);
    }
}
