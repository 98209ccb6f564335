package dev.smartbroker.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

import static dev.smartbroker.simulator.DiscoveryTest.strings;
import static dev.smartbroker.simulator.Fixture.APP;
import static dev.smartbroker.simulator.Fixture.APP_SECRET;
import static dev.smartbroker.simulator.Fixture.JWT_APP;
import static dev.smartbroker.simulator.Fixture.REDIRECT;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.SYSTEM;
import static dev.smartbroker.simulator.Fixture.SYSTEM_SECRET;
import static dev.smartbroker.simulator.Fixture.SYSTEM_SECRET_ACCOUNT;
import static dev.smartbroker.simulator.Fixture.WILMA;
import static dev.smartbroker.simulator.Fixture.WILMA_ENCOUNTER;
import static dev.smartbroker.simulator.Fixture.basic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The generic SMART App Launch 2.x dialect (docs/ehr/smart-app-launch.md): each way a generic tenant differs from a
 * Cerner one, next to the Cerner tenant of the same simulator.
 */
class GenericDialectTest {

    static final String GENERIC = SimulatorConfig.GENERIC_TENANT;
    static final String BACKEND = "smart-backend";
    static final String FULL_SCOPE = "launch openid fhirUser profile offline_access user/Patient.read user/Observation.read";
    static Fixture f;

    @BeforeAll
    static void start() {
        TenantSettings backendOnly = SimulatorConfig.genericSettings();
        backendOnly.backendServicesOnly = true;
        f = Fixture.start(SimulatorConfig.defaults().withTenant(SimulatorConfig.genericTenant(GENERIC))
                .withTenant(new SimulatorConfig.Tenant(BACKEND, "Backend services", backendOnly, SimulatorConfig.GENERIC)));
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.faults().clear();
        f.sim.settings(GENERIC).update(SimulatorConfig.genericSettings());
        f.sim.settings(SANDBOX).update(new TenantSettings());
    }

    static JsonNode get(String url) {
        Browser.Reply reply = new Browser().get(url);
        assertThat(reply.status()).as(url + ": " + reply.body()).isEqualTo(200);
        return reply.json();
    }

    /** A generic error: error and error_description, never Cerner's error_uri. */
    static void assertGenericError(Browser.Reply reply, int status, String error) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.json().path("error").asText()).isEqualTo(error);
        assertThat(reply.json().path("error_description").asText()).isNotBlank();
        assertThat(reply.json().has("error_uri")).isFalse();
    }

    Browser.Reply token(Map<String, String> form, String... headers) {
        return f.token(GENERIC, form, headers);
    }

    @Nested
    class Its_configuration {

        @Test
        void leaves_the_defaults_alone_and_is_added_with_its_own_settings() {
            assertThat(SimulatorConfig.defaults().tenants()).extracting(SimulatorConfig.Tenant::id, SimulatorConfig.Tenant::dialect)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(SANDBOX, "cerner"),
                            org.assertj.core.groups.Tuple.tuple(Fixture.NORTHWIND, "cerner"));
            SimulatorConfig.Tenant generic = SimulatorConfig.genericTenant("g1");
            assertThat(generic.dialect()).isEqualTo(SimulatorConfig.GENERIC);
            assertThat(generic.settings().requirePkce).isTrue();
            assertThat(generic.settings().echoNonce).isTrue();
            assertThat(new SimulatorConfig.Tenant("c1", null, null).dialect()).isEqualTo(SimulatorConfig.CERNER);
            assertThatThrownBy(() -> new SimulatorConfig.Tenant("x", null, null, "epic")).isInstanceOf(IllegalArgumentException.class);
            SimulatorConfig replaced = SimulatorConfig.defaults().withTenant(generic).withTenant(SimulatorConfig.genericTenant(SANDBOX));
            assertThat(replaced.tenants()).extracting(SimulatorConfig.Tenant::id, SimulatorConfig.Tenant::dialect).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(SANDBOX, "generic"), org.assertj.core.groups.Tuple.tuple(Fixture.NORTHWIND, "cerner"),
                    org.assertj.core.groups.Tuple.tuple("g1", "generic"));
        }

        @Test
        void lives_under_smart_tenant_not_under_tenants() {
            String root = f.sim.baseUrl() + "/smart/" + GENERIC;

            assertThat(f.sim.fhirBase(GENERIC)).isEqualTo(root + "/fhir");
            assertThat(f.sim.authorizationEndpoint(GENERIC)).isEqualTo(root + "/auth/authorize");
            assertThat(f.sim.tokenEndpoint(GENERIC)).isEqualTo(root + "/auth/token");
            assertThat(f.sim.jwksUri(GENERIC)).isEqualTo(root + "/auth/jwks");
            assertThat(f.sim.oidcIssuer(GENERIC)).isEqualTo(root + "/fhir");
            assertThat(f.sim.revocationEndpoint(GENERIC)).isNull();
            assertThat(f.sim.legacyTokenEndpoint(GENERIC)).isNull();
            assertThat(f.sim.jwksUri(SANDBOX)).isEqualTo(f.sim.baseUrl() + "/jwk");
        }

        @Test
        void is_not_served_at_cerner_paths_nor_a_cerner_tenant_at_its_paths() {
            Browser browser = new Browser();

            assertThat(browser.get(f.sim.baseUrl() + "/r4/" + GENERIC + "/metadata").status()).isEqualTo(403);
            assertThat(browser.get(f.sim.baseUrl() + "/tenants/" + GENERIC + "/protocols/oauth2/profiles/smart-v1/personas/provider/authorize")
                    .status()).isEqualTo(404);
            assertThat(browser.get(f.sim.baseUrl() + "/smart/" + SANDBOX + "/fhir/metadata").status()).isEqualTo(404);
            assertThat(browser.get(f.sim.baseUrl() + "/smart/nope/fhir/metadata").status()).isEqualTo(404);
            assertThat(browser.postForm(f.sim.baseUrl() + "/smart/" + GENERIC + "/auth/token/revoke", Map.of("token", "x")).status())
                    .isEqualTo(404);
        }
    }

    @Nested
    class Its_discovery {

        @Test
        void names_the_fhir_base_as_issuer_and_no_revocation_endpoint() {
            JsonNode doc = get(f.sim.fhirBase(GENERIC) + "/.well-known/smart-configuration");

            assertThat(doc.path("issuer").asText()).isEqualTo(f.sim.fhirBase(GENERIC));
            assertThat(doc.path("jwks_uri").asText()).isEqualTo(f.sim.jwksUri(GENERIC));
            assertThat(doc.path("authorization_endpoint").asText()).isEqualTo(f.sim.authorizationEndpoint(GENERIC));
            assertThat(doc.path("token_endpoint").asText()).isEqualTo(f.sim.tokenEndpoint(GENERIC));
            assertThat(doc.has("revocation_endpoint")).isFalse();
            assertThat(doc.has("management_endpoint")).isFalse();
            assertThat(doc.has("introspection_endpoint")).isFalse();
            assertThat(strings(doc.path("code_challenge_methods_supported"))).containsExactly("S256");
            assertThat(strings(doc.path("token_endpoint_auth_methods_supported")))
                    .containsExactly("client_secret_basic", "client_secret_post", "private_key_jwt");
            assertThat(strings(doc.path("token_endpoint_auth_signing_alg_values_supported"))).containsExactly("RS384", "ES384");
            assertThat(strings(doc.path("grant_types_supported"))).contains("authorization_code", "refresh_token", "client_credentials");
            assertThat(strings(doc.path("scopes_supported"))).contains("openid", "fhirUser", "profile", "launch", "offline_access",
                    "user/Patient.rs", "patient/Observation.read", "system/Patient.rs");
            assertThat(strings(doc.path("capabilities"))).contains("launch-ehr", "client-confidential-symmetric",
                    "client-confidential-asymmetric", "sso-openid-connect", "context-ehr-patient", "permission-v2", "permission-offline")
                    .doesNotContain("health-cards");
        }

        @Test
        void of_a_backend_services_only_tenant_names_no_authorization_endpoint() {
            JsonNode doc = get(f.sim.fhirBase(BACKEND) + "/.well-known/smart-configuration");

            assertThat(doc.has("authorization_endpoint")).isFalse();
            assertThat(doc.path("token_endpoint").asText()).isEqualTo(f.sim.tokenEndpoint(BACKEND));
            assertThat(strings(doc.path("grant_types_supported"))).containsExactly("client_credentials");
            assertThat(strings(doc.path("token_endpoint_auth_methods_supported"))).containsExactly("private_key_jwt");
            assertThat(strings(doc.path("scopes_supported"))).allMatch(s -> s.startsWith("system/"));
            assertThat(strings(doc.path("capabilities"))).contains("client-confidential-asymmetric").doesNotContain("launch-ehr");
        }

        @Test
        void carries_token_and_authorize_only_in_the_capability_statement() {
            List<String> uris = new ArrayList<>();
            get(f.sim.fhirBase(GENERIC) + "/metadata").path("rest").get(0).path("security").path("extension").get(0).path("extension")
                    .forEach(e -> uris.add(e.path("url").asText() + "=" + e.path("valueUri").asText()));

            assertThat(uris).containsExactly("token=" + f.sim.tokenEndpoint(GENERIC), "authorize=" + f.sim.authorizationEndpoint(GENERIC));
        }

        @Test
        void serves_openid_configuration_below_the_issuer() {
            JsonNode doc = get(f.sim.fhirBase(GENERIC) + "/.well-known/openid-configuration");

            assertThat(doc.path("issuer").asText()).isEqualTo(f.sim.fhirBase(GENERIC));
            assertThat(doc.path("jwks_uri").asText()).isEqualTo(f.sim.jwksUri(GENERIC));
            assertThat(doc.path("token_endpoint").asText()).isEqualTo(f.sim.tokenEndpoint(GENERIC));
            assertThat(strings(doc.path("id_token_signing_alg_values_supported"))).containsExactly("RS256");
            assertThat(new Browser().get(f.sim.fhirBase(SANDBOX) + "/.well-known/openid-configuration").status())
                    .as("a Cerner FHIR base has none").isEqualTo(401);
        }

        @Test
        void publishes_exactly_one_rsa_key_without_kid() {
            Browser.Reply reply = new Browser().get(f.sim.jwksUri(GENERIC));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("Cache-Control")).contains("max-age=");
            assertThat(reply.json().path("keys")).singleElement().satisfies(k -> {
                assertThat(k.path("kty").asText()).isEqualTo("RSA");
                assertThat(k.has("kid")).isFalse();
                assertThat(k.path("use").asText()).isEqualTo("sig");
                assertThat(k.path("alg").asText()).isEqualTo("RS256");
                assertThat(k.has("d")).isFalse();
            });
            assertThat(get(f.sim.jwksUri(BACKEND)).path("keys").get(0).path("n").asText())
                    .as("each generic tenant has its own key").isNotEqualTo(reply.json().path("keys").get(0).path("n").asText());
        }
    }

    @Nested
    class Its_authorize_endpoint {

        Map<String, String> params() {
            return f.authorizeParams(GENERIC, APP, f.launch(GENERIC, WILMA, APP), "launch user/Patient.read", Fixture.Pkce.create());
        }

        Browser.Reply authorize(Map<String, String> params) {
            return f.authorize(new Browser(), GENERIC, params);
        }

        static void assertRedirectError(Browser.Reply reply, Map<String, String> params, String error) {
            assertThat(reply.status()).as(reply.body()).isEqualTo(302);
            Map<String, String> q = reply.locationQuery();
            assertThat(q).containsEntry("error", error).containsEntry("state", params.get("state")).doesNotContainKey("error_uri");
            assertThat(q.get("error_description")).isNotBlank();
        }

        @Test
        void is_reached_from_the_launcher_with_the_generic_fhir_base_as_iss() {
            Browser browser = new Browser();
            Browser.Reply page = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + GENERIC);

            assertThat(page.document().getElementById("iss").text()).isEqualTo(f.sim.fhirBase(GENERIC));
            Browser.Reply launched = browser.submit(page, "form#launch-" + WILMA, Map.of("app", APP));
            assertThat(launched.locationQuery()).containsEntry("iss", f.sim.fhirBase(GENERIC));
            Browser.Reply login = f.authorize(browser, GENERIC, f.authorizeParams(GENERIC, APP, launched.locationQuery().get("launch"),
                    "launch", Fixture.Pkce.create()));
            assertThat(login.document().getElementById("login")).isNotNull();
            assertThat(login.document().selectFirst("form#login").attr("action")).isEqualTo("/smart/" + GENERIC + "/auth/authorize/login");
        }

        @Test
        void needs_a_launch() {
            Map<String, String> params = AuthorizeTest.with(params(), "launch", null);
            assertRedirectError(authorize(params), params, "invalid_request");
        }

        @Test
        void needs_the_generic_fhir_base_as_aud() {
            Map<String, String> params = AuthorizeTest.with(params(), "aud", f.sim.fhirBase(SANDBOX));
            assertRedirectError(authorize(params), params, "invalid_request");
        }

        @Test
        void needs_pkce_by_default() {
            Map<String, String> params = AuthorizeTest.with(AuthorizeTest.with(params(), "code_challenge", null), "code_challenge_method", null);
            assertRedirectError(authorize(params), params, "invalid_request");
        }

        @Test
        void refuses_a_launch_of_a_cerner_tenant() {
            Map<String, String> params = AuthorizeTest.with(params(), "launch", f.launch(SANDBOX, WILMA, APP));
            assertRedirectError(authorize(params), params, "invalid_request");
        }

        @Test
        void accepts_a_launch_created_for_scripts() {
            String launch = f.sim.createLaunch(GENERIC, WILMA, APP);

            Browser.Reply login = authorize(f.authorizeParams(GENERIC, APP, launch, "launch", Fixture.Pkce.create()));

            assertThat(login.document().getElementById("login")).isNotNull();
        }

        @Test
        void is_404_and_launches_nothing_on_a_backend_services_only_tenant() {
            Browser.Reply launcher = new Browser().get(f.sim.baseUrl() + "/launcher?tenant=" + BACKEND);

            assertThat(new Browser().get(f.sim.authorizationEndpoint(BACKEND) + "?client_id=" + APP).status()).isEqualTo(404);
            assertThat(launcher.document().getElementById("iss").text()).isNotEqualTo(f.sim.fhirBase(BACKEND));
            assertThat(launcher.body()).doesNotContain("Backend services");
            assertThatThrownBy(() -> f.sim.createLaunch(BACKEND, WILMA, APP)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Its_token_endpoint {

        @Test
        void answers_the_standard_smart_fields_and_none_of_cerners() {
            Browser.Reply reply = f.exchange(GENERIC, f.codeFlow(GENERIC, WILMA, FULL_SCOPE));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            JsonNode body = reply.json();
            List<String> fields = new ArrayList<>();
            body.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactlyInAnyOrder("access_token", "token_type", "expires_in", "scope", "id_token", "refresh_token",
                    "patient", "encounter", "need_patient_banner", "smart_style_url");
            assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
            assertThat(body.path("scope").asText()).isEqualTo(FULL_SCOPE);
            assertThat(body.path("patient").asText()).isEqualTo(WILMA);
            assertThat(body.path("encounter").asText()).isEqualTo(WILMA_ENCOUNTER);
            assertThat(body.path("need_patient_banner").asBoolean()).isTrue();
            assertThat(body.path("access_token").asText().split("\\.")).as("opaque, not Cerner's JWE look").hasSize(1);
            assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
            assertThat(reply.header("Pragma")).isEqualTo("no-cache");
            assertThat(reply.header("Cerner-Correlation-ID")).isNull();
        }

        @Test
        void signs_an_id_token_without_kid_issued_by_the_fhir_base_with_a_relative_fhir_user() throws Exception {
            Browser browser = new Browser();
            Fixture.Pkce pkce = Fixture.Pkce.create();
            Map<String, String> params = new LinkedHashMap<>(f.authorizeParams(GENERIC, APP, f.launch(browser, GENERIC, WILMA, APP),
                    "launch openid fhirUser", pkce));
            params.put("nonce", "n-42");
            String code = Fixture.signInAndAllow(browser, f.authorize(browser, GENERIC, params), "portal").locationQuery().get("code");
            Browser.Reply reply = token(Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT,
                    "code_verifier", pkce.verifier()), "Authorization", basic(APP, APP_SECRET));

            SignedJWT jwt = SignedJWT.parse(reply.json().path("id_token").asText());
            assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
            assertThat(jwt.getHeader().getKeyID()).isNull();
            RSAKey key = (RSAKey) JWKSet.parse(new Browser().get(f.sim.jwksUri(GENERIC)).body()).getKeys().get(0);
            assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            assertThat(claims.getIssuer()).isEqualTo(f.sim.fhirBase(GENERIC))
                    .isEqualTo(get(f.sim.fhirBase(GENERIC) + "/.well-known/smart-configuration").path("issuer").asText());
            assertThat(claims.getStringClaim("fhirUser")).isEqualTo("Practitioner/12742069");
            assertThat(claims.getClaims()).doesNotContainKey("profile");
            assertThat(claims.getAudience()).containsExactly(APP);
            assertThat(claims.getSubject()).isEqualTo("portal");
            assertThat(claims.getStringClaim("nonce")).isEqualTo("n-42");
        }

        @Test
        void lets_a_client_in_with_client_secret_post() {
            Fixture.Grant grant = f.codeFlow(GENERIC, WILMA, "launch user/Patient.read");

            Browser.Reply reply = token(Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                    "code_verifier", grant.pkce().verifier(), "client_id", APP, "client_secret", APP_SECRET));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }

        @Test
        void refuses_a_wrong_client_secret_post_with_error_description() {
            assertGenericError(token(Map.of("grant_type", "client_credentials", "scope", "system/Patient.read",
                    "client_id", SYSTEM_SECRET_ACCOUNT, "client_secret", "wrong")), 401, "invalid_client");
        }

        @Test
        void refuses_a_secret_in_both_header_and_body() {
            assertGenericError(token(Map.of("grant_type", "client_credentials", "scope", "system/Patient.read",
                    "client_secret", SYSTEM_SECRET), "Authorization", basic(SYSTEM_SECRET_ACCOUNT, SYSTEM_SECRET)), 401, "invalid_client");
        }

        @Test
        void where_a_cerner_tenant_refuses_client_secret_post() {
            Browser.Reply cerner = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read",
                    "client_id", SYSTEM_SECRET_ACCOUNT, "client_secret", SYSTEM_SECRET));

            TokenTest.assertTokenError(cerner, 401, "invalid_client", "oauth2:token:invalid-client-credentials");
        }

        @Test
        void takes_a_jwt_assertion_for_the_generic_token_url_only() {
            Fixture.Grant grant = f.codeFlow(new Browser(), GENERIC, WILMA, JWT_APP, "launch user/Patient.read", "portal");
            Map<String, String> form = new LinkedHashMap<>(Map.of("grant_type", "authorization_code", "code", grant.code(),
                    "redirect_uri", REDIRECT, "code_verifier", grant.pkce().verifier(), "client_assertion_type", ClientAuthentication.JWT_BEARER));

            form.put("client_assertion", TestKeys.assertion(JWT_APP, f.sim.tokenEndpoint(SANDBOX), f.rsaKey));
            assertGenericError(token(form), 401, "invalid_client");
            Fixture.Grant second = f.codeFlow(new Browser(), GENERIC, WILMA, JWT_APP, "launch user/Patient.read", "portal");
            form.putAll(Map.of("code", second.code(), "code_verifier", second.pkce().verifier(),
                    "client_assertion", TestKeys.assertion(JWT_APP, f.sim.tokenEndpoint(GENERIC), f.ecKey)));
            Browser.Reply ok = token(form);
            assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        }

        @Test
        void holds_assertions_to_the_same_rules_as_cerner() {
            String aud = f.sim.tokenEndpoint(GENERIC);
            long now = f.sim.clock().millis();
            List<String> bad = List.of(
                    TestKeys.assertion(SYSTEM, aud, f.rsaKey, h -> { }, c -> c.expirationTime(new java.util.Date(now + 600_000))),
                    TestKeys.assertion(SYSTEM, aud, f.rsaKey, h -> { }, c -> c.jwtID(null)),
                    TestKeys.assertion(SYSTEM, aud, f.rsaKey, h -> { }, c -> c.subject("someone-else")));
            for (String assertion : bad) {
                assertGenericError(f.systemToken(GENERIC, "system/Patient.read", assertion), 401, "invalid_client");
            }
            String once = TestKeys.assertion(SYSTEM, aud, f.rsaKey);
            assertThat(f.systemToken(GENERIC, "system/Patient.read", once).status()).isEqualTo(200);
            assertGenericError(f.systemToken(GENERIC, "system/Patient.read", once), 401, "invalid_client");
        }

        @Test
        void answers_client_credentials_with_a_token_for_its_own_fhir_base() {
            Browser.Reply reply = f.systemToken(GENERIC, "system/Patient.read",
                    TestKeys.assertion(SYSTEM, f.sim.tokenEndpoint(GENERIC), f.rsaKey));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            List<String> fields = new ArrayList<>();
            reply.json().fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactlyInAnyOrder("access_token", "scope", "token_type", "expires_in");
            String token = reply.json().path("access_token").asText();
            assertThat(new Browser().get(f.sim.fhirBase(GENERIC) + "/Patient/" + WILMA, "Authorization", "Bearer " + token).status())
                    .isEqualTo(200);
        }

        @Test
        void of_a_backend_services_only_tenant_takes_jwt_assertions_only() {
            Browser.Reply jwt = f.systemToken(BACKEND, "system/Patient.read", TestKeys.assertion(SYSTEM, f.sim.tokenEndpoint(BACKEND), f.rsaKey));
            Browser.Reply secret = f.token(BACKEND, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"),
                    "Authorization", basic(SYSTEM_SECRET_ACCOUNT, SYSTEM_SECRET));

            assertThat(jwt.status()).as(jwt.body()).isEqualTo(200);
            assertGenericError(secret, 401, "invalid_client");
        }

        @Test
        void answers_errors_with_error_description_and_no_error_uri() {
            Fixture.Grant grant = f.codeFlow(GENERIC, WILMA, "launch");
            assertThat(f.exchange(GENERIC, grant).status()).isEqualTo(200);

            assertGenericError(f.exchange(GENERIC, grant), 400, "invalid_grant");
        }

        @Test
        void signs_with_a_key_it_never_published_under_the_unknown_kid_fault() throws Exception {
            f.sim.faults().add(Fault.of(Endpoint.TOKEN, FaultType.UNKNOWN_KID).forTenant(GENERIC));
            String idToken = f.exchange(GENERIC, f.codeFlow(GENERIC, WILMA, "launch openid fhirUser")).json().path("id_token").asText();

            RSAKey key = (RSAKey) JWKSet.parse(new Browser().get(f.sim.jwksUri(GENERIC)).body()).getKeys().get(0);
            assertThat(SignedJWT.parse(idToken).verify(new RSASSAVerifier(key))).isFalse();
        }
    }

    @Nested
    class Its_refresh_tokens {

        String refreshToken() {
            Browser.Reply reply = f.exchange(GENERIC, f.codeFlow(GENERIC, WILMA, "launch offline_access user/Patient.read"));
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            return reply.json().path("refresh_token").asText();
        }

        @Test
        void rotate_on_every_refresh() {
            String first = refreshToken();

            Browser.Reply reply = f.refresh(GENERIC, first);

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            String second = reply.json().path("refresh_token").asText();
            assertThat(second).isNotBlank().isNotEqualTo(first);
            assertThat(reply.json().path("scope").asText()).isEqualTo("launch offline_access user/Patient.read");
            Browser.Reply third = f.refresh(GENERIC, second);
            assertThat(third.status()).isEqualTo(200);
            assertThat(third.json().path("refresh_token").asText()).isNotEqualTo(second).isNotEqualTo(first);
            assertThat(f.sim.refreshCount(first)).isEqualTo(1);
        }

        @Test
        void are_invalid_once_used() {
            String first = refreshToken();
            assertThat(f.refresh(GENERIC, first).status()).isEqualTo(200);

            assertGenericError(f.refresh(GENERIC, first), 400, "invalid_grant");
        }

        @Test
        void are_bound_to_their_tenant() {
            String refresh = refreshToken();

            TokenTest.assertTokenError(f.refresh(SANDBOX, refresh), 400, "invalid_grant", "oauth2:token:invalid-tenant");
            assertThat(f.refresh(GENERIC, refresh).status()).as("a refusal elsewhere does not spend it").isEqualTo(200);
        }
    }

    @Nested
    class Its_fhir_server {

        @Test
        void reads_with_its_own_tokens_and_refuses_a_cerner_tenants() {
            String generic = f.launchAccessToken(GENERIC, WILMA, "launch user/Patient.read");
            String cerner = f.launchAccessToken(SANDBOX, WILMA, "launch user/Patient.read");
            String path = "/Patient/" + WILMA;

            Browser.Reply ok = new Browser().get(f.sim.fhirBase(GENERIC) + path, "Authorization", "Bearer " + generic);
            Browser.Reply foreign = new Browser().get(f.sim.fhirBase(GENERIC) + path, "Authorization", "Bearer " + cerner);
            Browser.Reply back = new Browser().get(f.sim.fhirBase(SANDBOX) + path, "Authorization", "Bearer " + generic);

            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.json().path("id").asText()).isEqualTo(WILMA);
            assertThat(foreign.status()).isEqualTo(401);
            assertThat(foreign.header("WWW-Authenticate")).contains("tenant-mismatch");
            assertThat(back.status()).isEqualTo(401);
        }

        @Test
        void names_its_own_base_in_search_bundles() {
            String token = f.launchAccessToken(GENERIC, WILMA, "launch user/Observation.read");

            JsonNode bundle = new Browser().get(f.sim.fhirBase(GENERIC) + "/Observation?patient=" + WILMA,
                    "Authorization", "Bearer " + token).json();

            assertThat(bundle.path("entry").get(0).path("fullUrl").asText()).startsWith(f.sim.fhirBase(GENERIC) + "/Observation/");
        }
    }

    @Test
    void the_built_in_test_app_launches_from_a_generic_tenant() {
        f.sim.enableTestApp();
        try {
            Browser browser = new Browser();
            Browser.Reply launcher = browser.get(f.sim.baseUrl() + "/launcher?tenant=" + GENERIC);
            Browser.Reply page = TestAppTest.follow(browser, browser.submit(launcher, "form#launch-" + WILMA, Map.of("app", TestApp.CLIENT_ID)));
            if (page.document().getElementById("login") != null) {
                page = Fixture.signIn(browser, page, "portal", "portal");
            }
            Browser.Reply result = TestAppTest.follow(browser, Fixture.decide(browser, page, "allow"));

            assertThat(result.status()).as(result.body()).isEqualTo(200);
            assertThat(result.document().getElementById("patient-name").text()).isEqualTo("SMART, WILMA");
            assertThat(result.document().getElementById("id_token-fhirUser").text()).isEqualTo("Practitioner/12742069");
            assertThat(result.document().getElementById("tenant")).isNull();
        } finally {
            f.sim.removeApp(TestApp.CLIENT_ID);
        }
    }
}
