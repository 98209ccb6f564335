package dev.smartbroker.smart.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;

import jakarta.persistence.EntityManager;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchContext;
import dev.smartbroker.smart.context.LaunchStore;
import dev.smartbroker.smart.testing.ClientSessions;
import dev.smartbroker.smart.testing.MemoryLaunchTable;
import dev.smartbroker.smart.testing.MemorySingleUseObjects;
import dev.smartbroker.smart.token.TokenResponse;
import dev.smartbroker.smart.token.UpstreamTokens;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.keycloak.OAuth2Constants;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.Constants;
import org.keycloak.models.KeyManager;
import org.keycloak.models.KeycloakContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.TokenManager;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionProvider;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.protocol.oidc.token.TokenPostProcessorContext;
import org.keycloak.protocol.oidc.utils.OAuth2Code;
import org.keycloak.protocol.oidc.utils.PkceUtils;
import org.keycloak.representations.AccessToken;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.representations.RefreshToken;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

/**
 * Which launch a token belongs to (docs/launch-isolation.md §5.2, §5.3): never "the latest launch of the session". Two
 * launches of one app in one browser share a client session here, as they do in Keycloak (experiment 1).
 */
class LaunchBindingTest {

    private static final String L1 = "0190f00d000-aaaaaaaaaaaaaaaa";
    private static final String L2 = "0190f00d001-bbbbbbbbbbbbbbbb";
    private static final String V1 = "verifier-of-the-first-authorization-request-0123456789";
    private static final String V2 = "verifier-of-the-second-authorization-request-012345678";

    /** Runs once, right after the next successful putIfAbsent: another request's step between two of ours. */
    private Runnable betweenClaimAndWrite;
    private final MemorySingleUseObjects store = new MemorySingleUseObjects() {
        @Override
        public boolean putIfAbsent(String key, long lifespanSeconds) {
            boolean first = super.putIfAbsent(key, lifespanSeconds);
            Runnable step = betweenClaimAndWrite;
            betweenClaimAndWrite = null;
            if (first && step != null) {
                step.run();
            }
            return first;
        }
    };
    private final KeycloakSession session = mock(KeycloakSession.class);
    private final MemoryLaunchTable table = MemoryLaunchTable.in(session);
    private final KeycloakContext keycloakContext = mock(KeycloakContext.class);
    private final TokenManager tokens = mock(TokenManager.class);
    private final RealmModel realm = mock(RealmModel.class);
    private final ClientModel app = client("app-uuid");
    private final ClientModel otherApp = client("other-app-uuid");
    /** The app's client session in the browser's one user session, holding every launch of the app there. */
    private final AuthenticatedClientSessionModel appSession = clientSession(app);

    private KeyManager keys;

    @BeforeEach
    void setUp() {
        when(realm.getId()).thenReturn("realm-id");
        when(realm.getName()).thenReturn("smart");
        keys = mock(KeyManager.class);
        KeyWrapper key = aes();
        when(keys.getActiveKey(realm, KeyUse.ENC, Algorithm.AES)).thenReturn(key);
        when(keys.getKey(eq(realm), eq(key.getKid()), eq(KeyUse.ENC), eq(Algorithm.AES))).thenReturn(key);
        when(session.keys()).thenReturn(keys);
        when(session.singleUseObjects()).thenReturn(store);
        when(session.getContext()).thenReturn(keycloakContext);
        when(session.tokens()).thenReturn(tokens);
    }

    @Nested
    class At_code_exchange {

        @Test
        void each_authorization_request_gets_its_own_launch_whichever_was_staged_last() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);

            assertThat(codeExchange(appSession, V2)).get().extracting(LaunchContext::patient).isEqualTo("patient-2");
            assertThat(codeExchange(appSession, V1)).get().extracting(LaunchContext::patient).isEqualTo("patient-1");
        }

        @Test
        void a_launch_staged_for_another_app_gives_this_app_nothing() {
            AuthenticatedClientSessionModel otherAppSession = clientSession(otherApp);
            stage(appSession, app, L1, "patient-1", V1);
            otherAppSession.getNotes().putAll(appSession.getNotes());

            assertThat(codeExchange(otherAppSession, V1)).isEmpty();
        }

        @Test
        void a_launch_staged_in_another_browser_s_session_gives_this_session_nothing() {
            AuthenticatedClientSessionModel anotherBrowser = clientSession(app);
            stage(appSession, app, L1, "patient-1", V1);

            assertThat(codeExchange(anotherBrowser, V1)).isEmpty();
        }

        @Test
        void a_second_launch_staged_between_the_first_one_s_claim_and_its_binding_still_makes_both_refused() {
            // Two requests on two nodes at the same instant: the second stages while the first is mid-way.
            betweenClaimAndWrite = () -> stage(appSession, app, L2, "patient-2", V1);
            stage(appSession, app, L1, "patient-1", V1);

            assertThat(codeExchange(appSession, V1)).isEmpty();
        }

        @Test
        void two_launches_presenting_one_challenge_are_refused_rather_than_mixed() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V1);

            assertThat(codeExchange(appSession, V1)).isEmpty();
        }

        @Test
        void without_a_verifier_or_with_another_one_there_is_no_launch() {
            stage(appSession, app, L1, "patient-1", V1);

            assertThat(codeExchange(appSession, null)).isEmpty();
            assertThat(codeExchange(appSession, V2)).isEmpty();
        }

        @Test
        void the_verifier_counts_only_in_a_form_body() {
            stage(appSession, app, L1, "patient-1", V1);
            request(MediaType.APPLICATION_JSON_TYPE, null, Map.of(OAuth2Constants.CODE_VERIFIER, V1));

            assertThat(LaunchBinding.resolve(session, context(appSession, OAuth2Constants.AUTHORIZATION_CODE))).isEmpty();
        }

        @Test
        void the_code_s_tokens_carry_the_launch_id_and_the_launch_cannot_be_claimed_again() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);
            SmartLaunchTokenPostProcessor postProcessor = new SmartLaunchTokenPostProcessor(session);
            AccessToken accessToken = new AccessToken();
            RefreshToken refreshToken = new RefreshToken(new AccessToken(), null, null);
            ClientSessionContext exchange = context(appSession, OAuth2Constants.AUTHORIZATION_CODE);
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.CODE_VERIFIER, V1));

            postProcessor.process(new TokenPostProcessorContext(code(V1), null, refreshToken, accessToken, exchange));

            assertThat(accessToken.getOtherClaims()).containsEntry(Smart.CLAIM_LAUNCH_ID, L1);
            assertThat(refreshToken.getOtherClaims()).containsEntry(Smart.CLAIM_LAUNCH_ID, L1);
            assertThat(LaunchBinding.resolve(session, exchange)).as("every mapper of this response agrees")
                    .get().extracting(LaunchContext::patient).isEqualTo("patient-1");
            assertThat(codeExchange(appSession, V1)).as("the binding is used up").isEmpty();
            assertThat(codeExchange(appSession, V2)).as("the other launch's binding is untouched")
                    .get().extracting(LaunchContext::patient).isEqualTo("patient-2");
        }

        @Test
        void the_code_exchange_opens_the_launch_from_its_binding_without_reading_its_row() {
            stage(appSession, app, L1, "patient-1", V1);
            EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
            clearInvocations(em);

            assertThat(codeExchange(appSession, V1)).get().extracting(LaunchContext::patient).isEqualTo("patient-1");
            verify(em, never()).find(any(), any());
        }

        @Test
        void a_launch_dropped_from_the_session_after_its_callback_does_not_open_from_its_binding() {
            stage(appSession, app, L1, "patient-1", V1);
            appSession.getNotes().remove(Smart.NOTE_LAUNCH_RECORD_PREFIX + L1);

            assertThat(codeExchange(appSession, V1)).isEmpty();
        }

        @Test
        void a_binding_written_without_the_record_opens_the_launch_from_its_row() {
            stage(appSession, app, L1, "patient-1", V1);
            // As a node of the version before wrote it (a rolling update): the launch and client only.
            String key = Smart.RECORD_BINDING_PREFIX + challenge(V1);
            Map<String, String> binding = new HashMap<>(store.get(key));
            assertThat(binding.remove("record")).as("the record rides along").startsWith("v2.");
            store.put(key, 600, binding);

            assertThat(codeExchange(appSession, V1)).get().extracting(LaunchContext::patient).isEqualTo("patient-1");
            table.rows.clear();
            assertThat(codeExchange(appSession, V1)).as("without the record, the row is what counts").isEmpty();
        }

        @Test
        void the_post_processor_does_not_look_the_binding_up_again_after_the_mappers() {
            stage(appSession, app, L1, "patient-1", V1);
            AccessToken accessToken = new AccessToken();
            ClientSessionContext exchange = context(appSession, OAuth2Constants.AUTHORIZATION_CODE);
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.CODE_VERIFIER, V1));
            assertThat(LaunchBinding.resolve(session, exchange)).as("the mappers' answer").isPresent();
            store.records.clear();

            new SmartLaunchTokenPostProcessor(session).process(new TokenPostProcessorContext(code(V1), null, null, accessToken, exchange));

            assertThat(accessToken.getOtherClaims()).containsEntry(Smart.CLAIM_LAUNCH_ID, L1);
        }

        @Test
        void the_post_processor_takes_the_context_the_mappers_opened_for_the_same_launch() {
            stage(appSession, app, L1, "patient-1", V1);
            AccessToken accessToken = new AccessToken();
            ClientSessionContext exchange = context(appSession, OAuth2Constants.AUTHORIZATION_CODE);
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.CODE_VERIFIER, V1));
            assertThat(LaunchBinding.resolve(session, exchange)).as("the mappers' answer").isPresent();

            new SmartLaunchTokenPostProcessor(session).process(new TokenPostProcessorContext(code(V1), null, null, accessToken, exchange));

            assertThat(accessToken.getOtherClaims()).containsEntry(Smart.CLAIM_LAUNCH_ID, L1);
            verify(keys, times(1)).getKey(any(), anyString(), any(), any());
        }
    }


    @Nested
    class At_refresh {

        @Test
        void the_refreshed_tokens_keep_the_launch_of_the_refresh_token_whatever_launched_since() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);
            signed("refresh-token-of-L1", L1);

            assertThat(refresh(appSession, "refresh-token-of-L1")).get().extracting(LaunchContext::patient).isEqualTo("patient-1");
        }

        @Test
        void the_id_token_of_an_offline_refresh_keeps_the_launch_though_its_context_does_not_say_the_grant() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);
            signed("offline-token-of-L1", L1);
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null,
                    Map.of(OAuth2Constants.GRANT_TYPE, OAuth2Constants.REFRESH_TOKEN, OAuth2Constants.REFRESH_TOKEN, "offline-token-of-L1"));

            assertThat(LaunchBinding.resolve(session, context(appSession, null))).get().extracting(LaunchContext::patient)
                    .isEqualTo("patient-1");
        }

        @Test
        void a_refresh_token_in_the_form_does_not_outrank_the_access_token_presented() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);
            signed("access-token-of-L1", L1);
            signed("refresh-token-of-L2", L2);
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, "Bearer access-token-of-L1",
                    Map.of(OAuth2Constants.GRANT_TYPE, OAuth2Constants.REFRESH_TOKEN, OAuth2Constants.REFRESH_TOKEN, "refresh-token-of-L2"));

            assertThat(LaunchBinding.resolve(session, context(appSession, null))).get().extracting(LaunchContext::patient)
                    .isEqualTo("patient-1");
        }

        @Test
        void a_token_keycloak_did_not_sign_carries_no_launch() {
            stage(appSession, app, L1, "patient-1", V1);
            when(tokens.decode(eq("forged"), eq(JsonWebToken.class))).thenReturn(null);

            assertThat(refresh(appSession, "forged")).isEmpty();
        }

        @Test
        void a_launch_id_of_another_app_s_session_does_not_open_here() {
            AuthenticatedClientSessionModel otherAppSession = clientSession(otherApp);
            stage(appSession, app, L1, "patient-1", V1);
            // Even the sealed notes copied over: they are sealed for the app's client session (SessionSealer's AAD).
            otherAppSession.getNotes().putAll(appSession.getNotes());
            signed("refresh-token-of-L1", L1);

            assertThat(refresh(otherAppSession, "refresh-token-of-L1")).isEmpty();
        }

        @Test
        void a_refresh_token_without_a_launch_claim_carries_no_launch() {
            stage(appSession, app, L1, "patient-1", V1);
            when(tokens.decode(eq("plain"), eq(JsonWebToken.class))).thenReturn(new JsonWebToken());

            assertThat(refresh(appSession, "plain")).isEmpty();
        }
    }

    @Nested
    class At_userinfo_and_introspection {

        @Test
        void the_presented_access_token_names_the_launch() {
            stage(appSession, app, L1, "patient-1", V1);
            stage(appSession, app, L2, "patient-2", V2);
            signed("access-token-of-L1", L1);
            signed("access-token-of-L2", L2);

            request(null, "Bearer access-token-of-L1", Map.of());
            assertThat(LaunchBinding.resolve(session, context(appSession, null))).get().extracting(LaunchContext::patient)
                    .isEqualTo("patient-1");
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of("token", "access-token-of-L2"));
            assertThat(LaunchBinding.resolve(session, context(appSession, null))).get().extracting(LaunchContext::patient)
                    .isEqualTo("patient-2");
            request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.ACCESS_TOKEN, "access-token-of-L1"));
            assertThat(LaunchBinding.resolve(session, context(appSession, null))).get().extracting(LaunchContext::patient)
                    .isEqualTo("patient-1");
        }
    }

    @Test
    void grants_without_an_ehr_launch_get_no_launch_context_whatever_the_request_carries() {
        stage(appSession, app, L1, "patient-1", V1);
        signed("access-token-of-L1", L1);
        request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, "Bearer access-token-of-L1", Map.of(OAuth2Constants.CODE_VERIFIER, V1));

        for (String grant : new String[] {OAuth2Constants.CLIENT_CREDENTIALS, OAuth2Constants.PASSWORD, OAuth2Constants.TOKEN_EXCHANGE_GRANT_TYPE}) {
            assertThat(LaunchBinding.resolve(session, context(appSession, grant))).as(grant).isEmpty();
        }
        verify(tokens, never()).decode(anyString(), any());
    }

    @Test
    void the_answer_is_decided_once_per_token_response_so_that_all_mappers_agree() {
        stage(appSession, app, L1, "patient-1", V1);
        signed("refresh-token-of-L1", L1);
        ClientSessionContext response = refreshContext(appSession, "refresh-token-of-L1");

        Optional<LaunchContext> first = LaunchBinding.resolve(session, response);
        request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of()); // nothing left to decide from
        assertThat(LaunchBinding.resolve(session, response)).isEqualTo(first).isPresent();
        verify(tokens, times(1)).decode(anyString(), any());

        ClientSessionContext none = context(appSession, OAuth2Constants.AUTHORIZATION_CODE);
        assertThat(LaunchBinding.resolve(session, none)).isEmpty();
        request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.CODE_VERIFIER, V1));
        assertThat(LaunchBinding.resolve(session, none)).as("no launch stays no launch for this response").isEmpty();
    }

    @Test
    void no_client_session_no_launch() {
        assertThat(LaunchBinding.resolve(session, null)).isEmpty();
        assertThat(LaunchBinding.resolve(session, mock(ClientSessionContext.class))).isEmpty();
    }

    // ---------------------------------------------------------------- rig

    private Optional<LaunchContext> codeExchange(AuthenticatedClientSessionModel clientSession, String verifier) {
        Map<String, String> form = new HashMap<>();
        if (verifier != null) {
            form.put(OAuth2Constants.CODE_VERIFIER, verifier);
        }
        request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, form);
        return LaunchBinding.resolve(session, context(clientSession, OAuth2Constants.AUTHORIZATION_CODE));
    }

    private Optional<LaunchContext> refresh(AuthenticatedClientSessionModel clientSession, String refreshToken) {
        return LaunchBinding.resolve(session, refreshContext(clientSession, refreshToken));
    }

    private ClientSessionContext refreshContext(AuthenticatedClientSessionModel clientSession, String refreshToken) {
        request(MediaType.APPLICATION_FORM_URLENCODED_TYPE, null, Map.of(OAuth2Constants.REFRESH_TOKEN, refreshToken));
        return context(clientSession, OAuth2Constants.REFRESH_TOKEN);
    }

    /** The launch a browser completed at the EHR callback, for an authorization request with this PKCE verifier. */
    private void stage(AuthenticatedClientSessionModel clientSession, ClientModel client, String launchId, String patient, String verifier) {
        AuthenticationSessionModel authSession = mock(AuthenticationSessionModel.class);
        when(authSession.getRealm()).thenReturn(realm);
        when(authSession.getClient()).thenReturn(client);
        when(authSession.getClientNote(OIDCLoginProtocol.CODE_CHALLENGE_PARAM)).thenReturn(challenge(verifier));
        // Keycloak copies the auth session's client notes into the client session when it issues the code.
        doAnswer(i -> clientSession.getNotes().put(i.getArgument(0), i.getArgument(1))).when(authSession)
                .setClientNote(anyString(), anyString());
        LaunchContext context = new LaunchContext(launchId, "cerner-sandbox", "tenant-1", "https://fhir/r4/tenant-1",
                "https://fhir/r4/tenant-1/Practitioner/1", patient, null, null, null, 0);
        UpstreamTokens upstream = UpstreamTokens.from(new TokenResponse("at", "Bearer", 570, "launch", "rt", null, patient, null,
                "tenant-1", null, null, null, null), 0);
        // No session of this clinician in the browser yet: nothing to make room in.
        when(authSession.getParentSession()).thenReturn(mock(RootAuthenticationSessionModel.class));
        when(session.sessions()).thenReturn(mock(UserSessionProvider.class));
        LaunchStore.stage(session, authSession, mock(UserModel.class), context, upstream, LaunchStore.DEFAULT_LAUNCHES_KEPT);
    }

    private void signed(String encoded, String launchId) {
        JsonWebToken token = new JsonWebToken();
        token.setOtherClaims(Smart.CLAIM_LAUNCH_ID, launchId);
        when(tokens.decode(eq(encoded), eq(JsonWebToken.class))).thenReturn(token);
    }

    private void request(MediaType type, String authorization, Map<String, String> form) {
        HttpRequest request = mock(HttpRequest.class);
        HttpHeaders headers = mock(HttpHeaders.class);
        when(headers.getMediaType()).thenReturn(type);
        when(headers.getHeaderString(HttpHeaders.AUTHORIZATION)).thenReturn(authorization);
        when(request.getHttpHeaders()).thenReturn(headers);
        MultivaluedHashMap<String, String> params = new MultivaluedHashMap<>();
        form.forEach(params::putSingle);
        when(request.getDecodedFormParameters()).thenReturn(params);
        when(keycloakContext.getHttpRequest()).thenReturn(request);
    }

    private static ClientSessionContext context(AuthenticatedClientSessionModel clientSession, String grantType) {
        Map<String, Object> attributes = new HashMap<>();
        if (grantType != null) {
            attributes.put(Constants.GRANT_TYPE, grantType);
        }
        ClientSessionContext context = mock(ClientSessionContext.class);
        when(context.getClientSession()).thenReturn(clientSession);
        when(context.getAttribute(anyString(), any())).thenAnswer(i -> i.<Class<?>>getArgument(1).cast(attributes.get(i.<String>getArgument(0))));
        doAnswer(i -> attributes.put(i.getArgument(0), i.getArgument(1))).when(context).setAttribute(anyString(), any());
        return context;
    }

    private AuthenticatedClientSessionModel clientSession(ClientModel client) {
        return ClientSessions.withNotes(realm, client, new HashMap<>());
    }

    private static ClientModel client(String uuid) {
        ClientModel client = mock(ClientModel.class);
        when(client.getId()).thenReturn(uuid);
        when(client.getClientId()).thenReturn(uuid.replace("-uuid", ""));
        return client;
    }

    private static OAuth2Code code(String verifier) {
        OAuth2Code code = mock(OAuth2Code.class);
        when(code.getCodeChallenge()).thenReturn(challenge(verifier));
        when(code.getCodeChallengeMethod()).thenReturn(OAuth2Constants.PKCE_METHOD_S256);
        return code;
    }

    private static String challenge(String verifier) {
        return PkceUtils.encodeCodeChallenge(verifier, OAuth2Constants.PKCE_METHOD_S256);
    }

    private static KeyWrapper aes() {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 5 + 3);
        }
        KeyWrapper key = new KeyWrapper();
        key.setKid("aes-1");
        key.setAlgorithm(Algorithm.AES);
        key.setUse(KeyUse.ENC);
        key.setSecretKey(new SecretKeySpec(bytes, "AES"));
        return key;
    }
}
