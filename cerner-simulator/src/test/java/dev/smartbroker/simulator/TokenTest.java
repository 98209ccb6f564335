package dev.smartbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.APP_SECRET;
import static dev.smartbroker.simulator.Fixture.JWT_APP;
import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.PUBLIC_APP;
import static dev.smartbroker.simulator.Fixture.REDIRECT;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.TIMMY;
import static dev.smartbroker.simulator.Fixture.TIMMY_ENCOUNTER;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static dev.smartbroker.simulator.Fixture.WILMA_ENCOUNTER;
import static dev.smartbroker.simulator.Fixture.basic;
import static org.assertj.core.api.Assertions.assertThat;

/** The token endpoint's authorization_code and refresh_token grants, and revocation (docs/ehr/cerner.md §2.4-§2.8). */
class TokenTest {

    static final String URN = "urn:cerner:error:authorization-server:";
    static final String FULL_SCOPE = "launch openid fhirUser profile online_access user/Patient.read user/Observation.read";
    static Fixture f;

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.settings(SANDBOX).update(new TenantSettings());
        f.sim.settings(NORTHWIND).update(new TenantSettings());
    }

    static void assertTokenError(Browser.Reply reply, int status, String error, String urn) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        JsonNode body = reply.json();
        assertThat(body.path("error").asText()).isEqualTo(error);
        assertThat(body.has("error_description")).isFalse();
        assertThat(Fixture.urn(body.path("error_uri").asText())).isEqualTo(URN + urn);
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
    }

    Browser.Reply exchangeWith(Fixture.Grant grant, String... auth) {
        return f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                "code_verifier", grant.pkce().verifier()), auth);
    }

    @Nested
    class The_code_exchange {

        @Test
        void answers_every_field_cerner_sends_with_expires_in_570() {
            Browser.Reply reply = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, FULL_SCOPE));

            assertThat(reply.status()).isEqualTo(200);
            JsonNode body = reply.json();
            assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
            assertThat(body.path("expires_in").asInt()).isEqualTo(570);
            assertThat(body.path("scope").asText()).isEqualTo(FULL_SCOPE);
            assertThat(body.path("patient").asText()).isEqualTo(WILMA);
            assertThat(body.path("encounter").asText()).isEqualTo(WILMA_ENCOUNTER);
            assertThat(body.path("user").asText()).isEqualTo("12742069");
            assertThat(body.path("username").asText()).isEqualTo("portal");
            assertThat(body.path("tenant").asText()).isEqualTo(SANDBOX);
            assertThat(body.path("need_patient_banner").isBoolean()).isTrue();
            assertThat(body.path("need_patient_banner").asBoolean()).isTrue();
            assertThat(body.path("smart_style_url").asText()).isEqualTo(f.sim.baseUrl() + "/styles/smart-v1.json");
            assertThat(body.path("id_token").asText()).isNotEmpty();
            assertThat(body.path("active_ttl").asInt()).isPositive();
            assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
            assertThat(reply.header("Pragma")).isEqualTo("no-cache");
            assertThat(reply.header("Cerner-Correlation-ID")).matches("[0-9a-f-]{36}");
            assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo("*");
        }

        @Test
        void hands_out_an_access_token_that_looks_like_cerners_jwe_and_parses_into_nothing() throws Exception {
            String token = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch user/Patient.read")).json().path("access_token").asText();

            String[] parts = token.split("\\.", -1);
            assertThat(parts).hasSize(5);
            JsonNode header = Browser.JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
            assertThat(header.path("alg").asText()).isEqualTo("dir");
            assertThat(header.path("enc").asText()).isEqualTo("A128CBC-HS256");
            assertThat(header.path("zip").asText()).isEqualTo("DEF");
            assertThat(header.path("cty").asText()).isEqualTo("JWT");
            assertThat(header.path("kid").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\.oct");
            assertThat(parts[1]).isEmpty();
            String payload = new String(Base64.getUrlDecoder().decode(parts[3]), StandardCharsets.ISO_8859_1);
            assertThat(payload).doesNotContain(WILMA).doesNotContain("portal");
        }

        @Test
        void signs_an_id_token_that_verifies_against_jwk_with_cerners_claims() throws Exception {
            String idToken = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, FULL_SCOPE)).json().path("id_token").asText();

            SignedJWT jwt = SignedJWT.parse(idToken);
            assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
            assertThat(jwt.getHeader().getType().getType()).isEqualTo("JWT");
            JWKSet published = JWKSet.parse(new Browser().get(f.sim.baseUrl() + "/jwk").body());
            RSAKey key = (RSAKey) published.getKeyByKeyId(jwt.getHeader().getKeyID());
            assertThat(key).as("kid %s is published", jwt.getHeader().getKeyID()).isNotNull();
            assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            String practitioner = f.sim.fhirBase(SANDBOX) + "/Practitioner/12742069";
            assertThat(claims.getIssuer()).isEqualTo(f.sim.baseUrl() + "/tenants/" + SANDBOX + "/oidc/idsps/" + SANDBOX + "/");
            assertThat(claims.getSubject()).isEqualTo("portal");
            assertThat(claims.getAudience()).containsExactly(APP);
            assertThat(claims.getStringClaim("fhirUser")).isEqualTo(practitioner);
            assertThat(claims.getStringClaim("profile")).isEqualTo(practitioner);
            assertThat(claims.getStringClaim("name")).isEqualTo("Portal, Portal");
            assertThat(claims.getStringClaim("email")).isEqualTo("portal.test.portal@testcerner.direct.com");
            assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(600_000);
            assertThat(claims.getClaim("nonce")).isNull();
        }

        @Test
        void leaves_name_and_email_out_of_the_id_token_when_the_tenant_says_so() throws Exception {
            f.sim.settings(SANDBOX).idTokenName = false;
            String idToken = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, FULL_SCOPE)).json().path("id_token").asText();

            JWTClaimsSet claims = SignedJWT.parse(idToken).getJWTClaimsSet();
            assertThat(claims.getClaims()).doesNotContainKeys("name", "email");
            assertThat(claims.getStringClaim("fhirUser")).isEqualTo(f.sim.fhirBase(SANDBOX) + "/Practitioner/12742069");
        }

        @Test
        void echoes_the_nonce_only_when_the_tenant_says_so() throws Exception {
            Browser browser = new Browser();
            String launch = f.launch(browser, SANDBOX, WILMA, APP);
            Map<String, String> params = new java.util.LinkedHashMap<>(f.authorizeParams(SANDBOX, APP, launch, "launch openid", null));
            params.put("nonce", "n-0S6_WzA2Mj");
            f.sim.settings(SANDBOX).echoNonce = true;
            Browser.Reply redirect = Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params), "portal");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", redirect.locationQuery().get("code"),
                    "redirect_uri", REDIRECT), "Authorization", basic(APP, APP_SECRET));

            assertThat(SignedJWT.parse(reply.json().path("id_token").asText()).getJWTClaimsSet().getStringClaim("nonce")).isEqualTo("n-0S6_WzA2Mj");
        }

        @Test
        void tells_clinicians_apart() throws Exception {
            JsonNode body = f.exchange(SANDBOX, f.codeFlow(new Browser(), SANDBOX, TIMMY, APP, "launch openid fhirUser", "nurse")).json();

            assertThat(body.path("user").asText()).isEqualTo("4122622");
            assertThat(body.path("username").asText()).isEqualTo("nurse");
            assertThat(body.path("patient").asText()).isEqualTo(TIMMY);
            assertThat(body.path("encounter").asText()).isEqualTo(TIMMY_ENCOUNTER);
            JWTClaimsSet claims = SignedJWT.parse(body.path("id_token").asText()).getJWTClaimsSet();
            assertThat(claims.getSubject()).isEqualTo("nurse");
            assertThat(claims.getStringClaim("fhirUser")).isEqualTo(f.sim.fhirBase(SANDBOX) + "/Practitioner/4122622");
        }

        @Test
        void gives_no_id_token_without_openid_and_no_refresh_token_without_online_or_offline_access() {
            JsonNode body = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch user/Patient.read")).json();

            assertThat(body.has("id_token")).isFalse();
            assertThat(body.has("refresh_token")).isFalse();
            assertThat(body.has("active_ttl")).isFalse();
            assertThat(body.path("scope").asText()).isEqualTo("launch user/Patient.read");
        }

        @Test
        void gives_an_offline_refresh_token_in_cerners_base64_json_form() throws Exception {
            JsonNode body = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch offline_access user/Patient.read")).json();

            String refresh = body.path("refresh_token").asText();
            JsonNode decoded = Browser.JSON.readTree(Base64.getDecoder().decode(refresh));
            assertThat(decoded.path("type").asText()).isEqualTo("offline_access");
            assertThat(decoded.path("ver").asText()).isEqualTo("1.1");
            assertThat(decoded.path("profile").asText()).isEqualTo("smart-v1");
            assertThat(decoded.path("persona").asText()).isEqualTo("provider");
            assertThat(decoded.path("id").asText()).matches("[0-9a-f-]{36}");
            assertThat(decoded.path("secret").asText()).matches("[0-9a-f-]{36}");
            assertThat(body.has("active_ttl")).isFalse();
        }

        @Test
        void gives_no_patient_or_encounter_for_a_launch_without_a_patient() {
            Browser browser = new Browser();
            String launch = f.launch(browser, SANDBOX, null, APP);
            Fixture.Pkce pkce = Fixture.Pkce.create();
            Browser.Reply redirect = Fixture.signInAndAllow(browser,
                    f.authorize(browser, SANDBOX, f.authorizeParams(SANDBOX, APP, launch, "launch user/Patient.read", pkce)), "portal");

            JsonNode body = f.exchange(SANDBOX, new Fixture.Grant(redirect.locationQuery().get("code"), null, pkce, Map.of())).json();

            assertThat(body.has("patient")).isFalse();
            assertThat(body.has("encounter")).isFalse();
            assertThat(body.path("user").asText()).isEqualTo("12742069");
        }

        @Test
        void follows_the_tenants_access_token_lifetime() {
            f.sim.settings(SANDBOX).accessTokenLifetimeSeconds = 42;

            assertThat(f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch")).json().path("expires_in").asInt()).isEqualTo(42);
        }

        @Test
        void authenticates_a_client_with_a_signed_jwt() {
            Fixture.Grant grant = f.codeFlow(new Browser(), SANDBOX, WILMA, JWT_APP, "launch user/Patient.read", "portal");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", grant.pkce().verifier(), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion", TestKeys.assertion(JWT_APP, f.sim.tokenEndpoint(SANDBOX), f.rsaKey)));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            assertThat(reply.json().path("patient").asText()).isEqualTo(WILMA);
        }

        @Test
        void lets_a_public_client_in_with_its_client_id() {
            Fixture.Grant grant = f.codeFlow(new Browser(), SANDBOX, WILMA, PUBLIC_APP, "launch user/Patient.read", "portal");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", grant.pkce().verifier(), "client_id", PUBLIC_APP));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }

        @Test
        void needs_redirect_uri_absent_when_it_was_absent_at_authorize() {
            Browser browser = new Browser();
            String launch = f.launch(browser, SANDBOX, WILMA, APP);
            Map<String, String> params = new java.util.LinkedHashMap<>(f.authorizeParams(SANDBOX, APP, launch, "launch", null));
            params.remove("redirect_uri");
            String code = Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX, params), "portal").locationQuery().get("code");

            Browser.Reply withRedirect = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT),
                    "Authorization", basic(APP, APP_SECRET));
            assertTokenError(withRedirect, 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");

            String second = Fixture.signInAndAllow(browser, f.authorize(browser, SANDBOX,
                    new java.util.LinkedHashMap<>(Map.of("response_type", "code", "client_id", APP, "scope", "launch", "aud", f.sim.fhirBase(SANDBOX),
                            "launch", f.launch(browser, SANDBOX, WILMA, APP)))), "portal").locationQuery().get("code");
            Browser.Reply without = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", second), "Authorization", basic(APP, APP_SECRET));
            assertThat(without.status()).as(without.body()).isEqualTo(200);
        }
    }

    @Nested
    class The_code_exchange_refuses {

        @Test
        void a_reused_code() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            assertThat(f.exchange(SANDBOX, grant).status()).isEqualTo(200);

            assertTokenError(f.exchange(SANDBOX, grant), 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");
        }

        @Test
        void an_expired_code() {
            f.sim.settings(SANDBOX).codeLifetimeSeconds = 10;
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            f.sim.clock().advance(Duration.ofSeconds(11));

            assertTokenError(f.exchange(SANDBOX, grant), 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");
        }

        @Test
        void no_code_that_is_still_within_its_lifetime() {
            f.sim.settings(SANDBOX).codeLifetimeSeconds = 10;
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            f.sim.clock().advance(Duration.ofSeconds(9));

            assertThat(f.exchange(SANDBOX, grant).status()).isEqualTo(200);
        }

        @Test
        void a_different_redirect_uri() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT + "/",
                    "code_verifier", grant.pkce().verifier()), "Authorization", basic(APP, APP_SECRET));

            assertTokenError(reply, 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");
        }

        @Test
        void the_code_of_another_client() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(),
                    "redirect_uri", REDIRECT, "code_verifier", grant.pkce().verifier(), "client_id", PUBLIC_APP));
            assertTokenError(reply, 400, "invalid_grant", "oauth2:token:code-invalid-or-expired");
        }

        @Test
        void a_wrong_pkce_verifier_or_none() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            Browser.Reply wrong = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", Fixture.Pkce.create().verifier()), "Authorization", basic(APP, APP_SECRET));
            assertTokenError(wrong, 400, "invalid_grant", "oauth2:token:code-verifier-invalid");

            Fixture.Grant other = f.codeFlow(SANDBOX, WILMA, "launch");
            Browser.Reply none = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", other.code(), "redirect_uri", REDIRECT),
                    "Authorization", basic(APP, APP_SECRET));
            assertTokenError(none, 400, "invalid_grant", "oauth2:token:code-verifier-invalid");
        }

        @Test
        void a_code_of_another_tenant() {
            Fixture.Grant grant = f.codeFlow(NORTHWIND, WILMA, "launch");

            assertTokenError(f.exchange(SANDBOX, grant), 400, "invalid_grant", "oauth2:token:invalid-tenant");
        }

        @Test
        void a_wrong_secret() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            Browser.Reply reply = exchangeWith(grant, "Authorization", basic(APP, "wrong"));

            assertTokenError(reply, 401, "invalid_client", "oauth2:token:invalid-client-credentials");
            assertThat(reply.json().path("error_uri").asText()).endsWith("?client=" + APP + "&tenant=" + SANDBOX);
        }

        @Test
        void basic_credentials_that_were_not_form_urlencoded() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            String raw = "Basic " + Base64.getEncoder().encodeToString((APP + ":" + APP_SECRET).getBytes(StandardCharsets.UTF_8));

            assertTokenError(exchangeWith(grant, "Authorization", raw), 401, "invalid_client", "oauth2:token:invalid-client-credentials");
        }

        @Test
        void a_confidential_client_without_credentials() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");

            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", grant.pkce().verifier(), "client_id", APP));

            assertTokenError(reply, 401, "invalid_client", "oauth2:token:invalid-client-credentials");
        }

        @Test
        void an_assertion_sent_as_a_bearer_token() {
            Fixture.Grant grant = f.codeFlow(new Browser(), SANDBOX, WILMA, JWT_APP, "launch", "portal");

            Browser.Reply reply = exchangeWith(grant, "Authorization",
                    "Bearer " + TestKeys.assertion(JWT_APP, f.sim.tokenEndpoint(SANDBOX), f.rsaKey));

            assertTokenError(reply, 401, "invalid_client", "oauth2:token:invalid-authorization-header");
            assertThat(reply.json().path("error_uri").asText()).contains("client=unknown");
        }

        @Test
        void the_legacy_path_without_hosts_unless_the_tenant_accepts_it() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            Map<String, String> form = Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", grant.pkce().verifier());

            Browser.Reply refused = new Browser().postForm(f.sim.legacyTokenEndpoint(SANDBOX), form, "Authorization", basic(APP, APP_SECRET));
            assertThat(refused.status()).isEqualTo(404);

            f.sim.settings(SANDBOX).acceptLegacyTokenPath = true;
            Browser.Reply accepted = new Browser().postForm(f.sim.legacyTokenEndpoint(SANDBOX), form, "Authorization", basic(APP, APP_SECRET));
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
        }

        @Test
        void a_token_path_bound_to_another_fhir_host() {
            Fixture.Grant grant = f.codeFlow(SANDBOX, WILMA, "launch");
            String otherHost = f.sim.baseUrl() + "/tenants/" + SANDBOX + "/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token";

            Browser.Reply reply = new Browser().postForm(otherHost, Map.of("grant_type", "authorization_code", "code", grant.code(),
                    "redirect_uri", REDIRECT, "code_verifier", grant.pkce().verifier()), "Authorization", basic(APP, APP_SECRET));

            assertThat(reply.status()).isEqualTo(404);
            assertThat(f.exchange(SANDBOX, grant).status()).as("the code was not consumed").isEqualTo(200);
        }

        @Test
        void an_unknown_or_missing_grant_type() {
            assertTokenError(f.token(SANDBOX, Map.of("grant_type", "password"), "Authorization", basic(APP, APP_SECRET)), 400,
                    "unsupported_grant_type", "oauth2:token:unsupported-grant-type");
            assertTokenError(f.token(SANDBOX, Map.of(), "Authorization", basic(APP, APP_SECRET)), 400,
                    "invalid_request", "oauth2:token:unsupported-grant-type");
        }

        @Test
        void a_get() {
            assertThat(new Browser().get(f.sim.tokenEndpoint(SANDBOX)).status()).isEqualTo(405);
        }
    }

    @Nested
    class Refresh {

        String refreshToken(String scope) {
            Browser.Reply reply = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, scope));
            assertThat(reply.status()).isEqualTo(200);
            return reply.json().path("refresh_token").asText();
        }

        @Test
        void answers_a_new_access_token_and_no_new_refresh_token() {
            String refresh = refreshToken(FULL_SCOPE);

            Browser.Reply reply = f.refresh(SANDBOX, refresh);

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            JsonNode body = reply.json();
            assertThat(body.path("access_token").asText()).isNotEmpty();
            assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
            assertThat(body.path("expires_in").asInt()).isEqualTo(570);
            assertThat(body.path("scope").asText()).isEqualTo(FULL_SCOPE);
            assertThat(body.has("refresh_token")).isFalse();
            assertThat(body.has("id_token")).isFalse();
            assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
            // The original keeps working, and each refresh is counted.
            assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);
            assertThat(f.sim.refreshCount(refresh)).isEqualTo(2);
        }

        @Test
        void fails_for_online_access_once_the_ehr_session_ended_while_offline_access_lasts() {
            Browser browser = new Browser();
            String online = f.exchange(SANDBOX, f.codeFlow(browser, SANDBOX, WILMA, APP, "launch online_access", "nurse"))
                    .json().path("refresh_token").asText();
            String offline = f.exchange(SANDBOX, f.codeFlow(browser, SANDBOX, WILMA, APP, "launch offline_access", "nurse"))
                    .json().path("refresh_token").asText();
            assertThat(f.refresh(SANDBOX, online).status()).isEqualTo(200);

            f.sim.endEhrSession("nurse");

            assertTokenError(f.refresh(SANDBOX, online), 400, "invalid_grant", "oauth2:token:refresh-token-invalid");
            assertThat(f.refresh(SANDBOX, offline).status()).isEqualTo(200);
        }

        @Test
        void is_bound_to_its_client_and_tenant() {
            String refresh = refreshToken("launch offline_access");

            assertTokenError(f.token(SANDBOX, Map.of("grant_type", "refresh_token", "refresh_token", refresh, "client_id", PUBLIC_APP)),
                    400, "invalid_grant", "oauth2:token:refresh-token-invalid");
            assertTokenError(f.refresh(NORTHWIND, refresh), 400, "invalid_grant", "oauth2:token:invalid-tenant");
            assertTokenError(f.refresh(SANDBOX, "bm9wZQ=="), 400, "invalid_grant", "oauth2:token:refresh-token-invalid");
            assertThat(f.sim.refreshCount(refresh)).isZero();
        }

        @Test
        void is_throttled_within_the_tenants_window() {
            f.sim.settings(SANDBOX).refreshThrottleSeconds = 60;
            String refresh = refreshToken("launch offline_access");
            assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);

            Browser.Reply throttled = f.refresh(SANDBOX, refresh);

            assertTokenError(throttled, 429, "temporarily_unavailable", "oauth2:token:refresh-throttled");
            assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 60L);
            assertThat(f.sim.refreshCount(refresh)).isEqualTo(1);
        }
    }

    @Nested
    class Revocation {

        Browser.Reply revoke(String token, String... auth) {
            return new Browser().postForm(f.sim.revocationEndpoint(SANDBOX), Map.of("token", token, "token_type_hint", "refresh_token"), auth);
        }

        @Test
        void kills_a_refresh_token() {
            String refresh = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch offline_access")).json().path("refresh_token").asText();

            Browser.Reply reply = revoke(refresh, "Authorization", basic(APP, APP_SECRET));

            assertThat(reply.status()).isEqualTo(200);
            assertTokenError(f.refresh(SANDBOX, refresh), 400, "invalid_grant", "oauth2:token:refresh-token-invalid");
        }

        @Test
        void kills_an_access_token_at_the_fhir_server() {
            String access = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch user/Patient.read")).json().path("access_token").asText();
            String patient = f.sim.fhirBase(SANDBOX) + "/Patient/" + WILMA;
            assertThat(new Browser().get(patient, "Authorization", "Bearer " + access).status()).isEqualTo(200);

            assertThat(revoke(access, "Authorization", basic(APP, APP_SECRET)).status()).isEqualTo(200);

            assertThat(new Browser().get(patient, "Authorization", "Bearer " + access).status()).isEqualTo(401);
        }

        @Test
        void answers_200_for_an_unknown_token() {
            assertThat(revoke("unknown", "Authorization", basic(APP, APP_SECRET)).status()).isEqualTo(200);
        }

        @Test
        void leaves_the_tokens_of_another_client_alone() {
            String refresh = f.exchange(SANDBOX, f.codeFlow(SANDBOX, WILMA, "launch offline_access")).json().path("refresh_token").asText();

            assertThat(revoke(refresh, "Authorization", basic(Fixture.TWO_REDIRECTS_APP, "two-secret")).status()).isEqualTo(200);

            assertThat(f.refresh(SANDBOX, refresh).status()).isEqualTo(200);
        }

        @Test
        void authenticates_the_client() {
            assertTokenError(revoke("x", "Authorization", basic(APP, "wrong")), 401, "invalid_client", "oauth2:token:invalid-client-credentials");
            Browser.Reply jwt = new Browser().postForm(f.sim.revocationEndpoint(SANDBOX), Map.of("token", "x",
                    "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion", TestKeys.assertion(JWT_APP, f.sim.revocationEndpoint(SANDBOX), f.rsaKey)));
            assertThat(jwt.status()).as(jwt.body()).isEqualTo(200);
        }
    }
}
