package dev.smartbroker.simulator;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.smartbroker.simulator.Fixture.NORTHWIND;
import static dev.smartbroker.simulator.Fixture.SANDBOX;
import static dev.smartbroker.simulator.Fixture.SYSTEM;
import static dev.smartbroker.simulator.Fixture.SYSTEM_SCOPES;
import static dev.smartbroker.simulator.Fixture.SYSTEM_SECRET;
import static dev.smartbroker.simulator.Fixture.SYSTEM_SECRET_ACCOUNT;
import static dev.smartbroker.simulator.Fixture.basic;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * client_credentials for the system persona, with SMART backend-services assertions verified against the app's
 * JWKS URL, and that JWKS's caching (docs/ehr/cerner.md §3, §4).
 */
class ClientCredentialsTest {

    static Fixture f;
    static final List<JwksServer> servers = new ArrayList<>();

    @BeforeAll
    static void start() {
        f = Fixture.start();
    }

    @AfterAll
    static void stop() {
        servers.forEach(JwksServer::close);
        f.close();
    }

    @AfterEach
    void restore() {
        f.sim.settings(SANDBOX).update(new TenantSettings());
    }

    String endpoint() {
        return f.sim.tokenEndpoint(SANDBOX);
    }

    Browser.Reply system(String scope, String assertion) {
        return f.systemToken(SANDBOX, scope, assertion);
    }

    static void assertInvalidClient(Browser.Reply reply, String urn) {
        TokenTest.assertTokenError(reply, 401, "invalid_client", urn);
    }

    /** A system account of its own, with a JWKS server of its own: its cache starts empty. */
    record Account(String clientId, JwksServer jwks, RSAKey key) {
    }

    static Account account(String cacheControl) {
        RSAKey key = TestKeys.rsa("k-" + UUID.randomUUID());
        JwksServer jwks = new JwksServer().keys(key.toPublicJWK()).cacheControl(cacheControl);
        servers.add(jwks);
        String clientId = "sys-" + UUID.randomUUID();
        f.sim.registerApp(new AppRegistration(clientId, null, null, null, null, SYSTEM_SCOPES, jwks.url(), null, "system", false));
        return new Account(clientId, jwks, key);
    }

    Browser.Reply token(Account account, RSAKey key) {
        return f.systemToken(SANDBOX, "system/Patient.read", TestKeys.assertion(account.clientId(), endpoint(), key));
    }

    List<OutboundFetch> fetches(Account account) {
        return f.sim.requestLog().outbound().stream().filter(o -> o.url().equals(account.jwks().url())).toList();
    }

    @Nested
    class Grants_a_token {

        @Test
        void for_an_rs384_assertion_with_cerners_system_response_shape() {
            Browser.Reply reply = system("system/Patient.read system/Observation.read", TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            JsonNode body = reply.json();
            List<String> fields = new ArrayList<>();
            body.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactlyInAnyOrder("access_token", "scope", "token_type", "expires_in");
            assertThat(body.path("scope").asText()).isEqualTo("system/Patient.read system/Observation.read");
            assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
            assertThat(body.path("expires_in").asInt()).isEqualTo(570);
            assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
        }

        @Test
        void for_an_es384_assertion() {
            Browser.Reply reply = system("system/Patient.read", TestKeys.assertion(SYSTEM, endpoint(), f.ecKey));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }

        @Test
        void for_a_client_secret() {
            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Encounter.rs"),
                    "Authorization", basic(SYSTEM_SECRET_ACCOUNT, SYSTEM_SECRET));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.json().path("scope").asText()).isEqualTo("system/Encounter.rs");
        }

        @Test
        void in_the_non_uuid_tenant_with_that_tenants_token_url_as_aud() {
            Browser.Reply reply = f.systemToken(NORTHWIND, "system/Patient.read", TestKeys.assertion(SYSTEM, f.sim.tokenEndpoint(NORTHWIND), f.rsaKey));

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }

        @Test
        void for_the_registered_scopes_only_dropping_wildcards() {
            Browser.Reply reply = system("system/*.read system/Patient.* system/Patient.read system/Condition.read user/Observation.read",
                    TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey));

            assertThat(reply.json().path("scope").asText()).isEqualTo("system/Patient.read");
        }

        @Test
        void for_an_assertion_that_expired_within_the_clock_skew() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { },
                    c -> c.expirationTime(new Date(System.currentTimeMillis() - 30_000)));

            assertThat(system("system/Patient.read", assertion).status()).isEqualTo(200);
        }

        @Test
        void for_a_jku_that_is_the_registered_jwks_url() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> h.jwkURL(URI.create(f.jwks.url())), c -> { });

            assertThat(system("system/Patient.read", assertion).status()).isEqualTo(200);
        }
    }

    @Nested
    class Refuses {

        @Test
        void a_request_of_which_no_registered_scope_remains() {
            Browser.Reply reply = system("system/*.read user/Patient.read system/Condition.read", TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey));

            TokenTest.assertTokenError(reply, 400, "unauthorized_client", "oauth2:token:empty-scopes");
        }

        @Test
        void online_or_offline_access() {
            Browser.Reply reply = system("system/Patient.read offline_access", TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey));

            TokenTest.assertTokenError(reply, 400, "invalid_scope", "oauth2:token:invalid-scope");
        }

        @Test
        void a_provider_app() {
            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"),
                    "Authorization", basic(Fixture.APP, Fixture.APP_SECRET));

            TokenTest.assertTokenError(reply, 400, "unauthorized_client", "oauth2:token:unsupported-grant-type");
        }
    }

    @Nested
    class Answers_invalid_client_for_an_assertion {

        @Test
        void whose_aud_is_another_tenants_token_url() {
            assertInvalidClient(system("system/Patient.read", TestKeys.assertion(SYSTEM, f.sim.tokenEndpoint(NORTHWIND), f.rsaKey)),
                    "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void whose_aud_is_the_token_url_without_hosts() {
            assertInvalidClient(system("system/Patient.read", TestKeys.assertion(SYSTEM, f.sim.legacyTokenEndpoint(SANDBOX), f.rsaKey)),
                    "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void that_expires_more_than_five_minutes_ahead() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { },
                    c -> c.expirationTime(new Date(System.currentTimeMillis() + 600_000)));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void that_expired_beyond_the_clock_skew() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { },
                    c -> c.expirationTime(new Date(System.currentTimeMillis() - 90_000)));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void that_expired_with_the_skew_set_to_zero() {
            f.sim.settings(SANDBOX).clockSkewSeconds = 0;
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { },
                    c -> c.expirationTime(new Date(System.currentTimeMillis() - 5_000)));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void without_exp() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { }, c -> c.expirationTime(null));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void whose_jti_was_used_before() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey);
            assertThat(system("system/Patient.read", assertion).status()).isEqualTo(200);

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:replayed-jti");
        }

        @Test
        void without_jti() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { }, c -> c.jwtID(null));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void whose_sub_is_not_its_iss() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> { }, c -> c.subject("someone-else"));

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void whose_iss_is_not_the_client_id_sent() {
            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read",
                    "client_id", SYSTEM_SECRET_ACCOUNT, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion", TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey)));

            assertInvalidClient(reply, "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void of_an_unknown_client() {
            assertInvalidClient(system("system/Patient.read", TestKeys.assertion("nobody", endpoint(), f.rsaKey)),
                    "oauth2:token:invalid-client-credentials");
        }

        @Test
        void signed_with_rs256() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, JWSAlgorithm.RS256, h -> { }, c -> { });

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void without_typ_or_kid() {
            String noTyp = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> h.type(null), c -> { });
            String noKid = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, h -> h.keyID(null), c -> { });

            assertInvalidClient(system("system/Patient.read", noTyp), "client-assertion:jwt-bearer:invalid-assertion");
            assertInvalidClient(system("system/Patient.read", noKid), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void whose_jku_is_not_the_registered_jwks_url() {
            String assertion = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey,
                    h -> h.jwkURL(URI.create("https://attacker.example.org/jwks.json")), c -> { });

            assertInvalidClient(system("system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void signed_by_another_key_under_a_published_kid() {
            RSAKey forged = TestKeys.rsa(f.rsaKey.getKeyID());

            assertInvalidClient(system("system/Patient.read", TestKeys.assertion(SYSTEM, endpoint(), forged)),
                    "client-assertion:jwt-bearer:invalid-signature");
        }

        @Test
        void whose_alg_does_not_fit_the_keys_type() {
            ECKey ec = f.ecKey;
            String swapped = TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey, JWSAlgorithm.RS384, h -> h.keyID(ec.getKeyID()), c -> { });

            assertInvalidClient(system("system/Patient.read", swapped), "client-assertion:jwt-bearer:invalid-signature");
        }

        @Test
        void sent_as_a_bearer_token() {
            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read"),
                    "Authorization", "Bearer " + TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey));

            assertInvalidClient(reply, "oauth2:token:invalid-authorization-header");
        }

        @Test
        void with_the_wrong_assertion_type() {
            Browser.Reply reply = f.token(SANDBOX, Map.of("grant_type", "client_credentials", "scope", "system/Patient.read",
                    "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                    "client_assertion", TestKeys.assertion(SYSTEM, endpoint(), f.rsaKey)));

            assertInvalidClient(reply, "client-assertion:jwt-bearer:invalid-assertion");
        }

        @Test
        void that_is_not_a_jwt() {
            assertInvalidClient(system("system/Patient.read", "not-a-jwt"), "client-assertion:jwt-bearer:invalid-assertion");
        }
    }

    @Nested
    class The_clients_jwks {

        @Test
        void is_fetched_once_and_cached_for_its_max_age() {
            Account account = account("public, max-age=300");

            assertThat(token(account, account.key()).status()).isEqualTo(200);
            assertThat(token(account, account.key()).status()).isEqualTo(200);
            assertThat(token(account, account.key()).status()).isEqualTo(200);

            assertThat(account.jwks().hits()).isEqualTo(1);
            assertThat(fetches(account)).singleElement().satisfies(fetch -> {
                assertThat(fetch.status()).isEqualTo(200);
                assertThat(fetch.maxAgeSeconds()).isEqualTo(300);
                assertThat(fetch.reason()).isEqualTo(OutboundFetch.CACHE_MISS);
                assertThat(fetch.at()).isNotNull();
            });
        }

        @Test
        void is_fetched_again_when_its_max_age_passed() {
            Account account = account("max-age=5");
            assertThat(token(account, account.key()).status()).isEqualTo(200);
            f.sim.clock().advance(Duration.ofSeconds(4));
            assertThat(token(account, account.key()).status()).isEqualTo(200);
            assertThat(account.jwks().hits()).as("still cached within its max-age").isEqualTo(1);

            f.sim.clock().advance(Duration.ofSeconds(2));

            assertThat(token(account, account.key()).status()).isEqualTo(200);
            assertThat(account.jwks().hits()).isEqualTo(2);
            assertThat(fetches(account)).extracting(OutboundFetch::reason).containsExactly(OutboundFetch.CACHE_MISS, OutboundFetch.CACHE_MISS);
        }

        @Test
        void is_refetched_once_for_an_unknown_kid() {
            Account account = account("max-age=300");
            assertThat(token(account, account.key()).status()).isEqualTo(200);
            RSAKey next = TestKeys.rsa("next-" + UUID.randomUUID());
            account.jwks().keys(account.key().toPublicJWK(), next.toPublicJWK());

            Browser.Reply rotated = token(account, next);

            assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
            assertThat(account.jwks().hits()).isEqualTo(2);
            assertThat(fetches(account)).extracting(OutboundFetch::reason).containsExactly(OutboundFetch.CACHE_MISS, OutboundFetch.UNKNOWN_KID);
        }

        @Test
        void is_refetched_only_once_when_the_kid_stays_unknown() {
            Account account = account("max-age=300");
            assertThat(token(account, account.key()).status()).isEqualTo(200);

            assertInvalidClient(token(account, TestKeys.rsa("never-published")), "client-assertion:jwt-bearer:invalid-signature");

            assertThat(account.jwks().hits()).isEqualTo(2);
        }

        @Test
        void is_not_cached_under_no_store_or_no_cache() {
            Account noStore = account("no-store");
            Account noCache = account("no-cache, max-age=300");

            for (Account account : List.of(noStore, noCache)) {
                assertThat(token(account, account.key()).status()).isEqualTo(200);
                assertThat(token(account, account.key()).status()).isEqualTo(200);
                assertThat(account.jwks().hits()).isEqualTo(2);
                assertThat(fetches(account)).allSatisfy(fetch -> assertThat(fetch.maxAgeSeconds()).isZero());
            }
        }

        @Test
        void is_cached_briefly_without_a_cache_control_header() {
            Account account = account(null);

            assertThat(token(account, account.key()).status()).isEqualTo(200);
            assertThat(token(account, account.key()).status()).isEqualTo(200);

            assertThat(account.jwks().hits()).isEqualTo(1);
            assertThat(fetches(account)).singleElement()
                    .satisfies(fetch -> assertThat(fetch.maxAgeSeconds()).isEqualTo(ClientKeys.DEFAULT_MAX_AGE_SECONDS));
        }

        @Test
        void that_cannot_be_fetched_fails_the_client_and_is_logged_with_status_0() throws Exception {
            int closedPort;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                closedPort = socket.getLocalPort();
            }
            String url = "http://127.0.0.1:" + closedPort + "/jwks.json";
            String clientId = "sys-" + UUID.randomUUID();
            f.sim.registerApp(new AppRegistration(clientId, null, null, null, null, SYSTEM_SCOPES, url, null, "system", false));

            Browser.Reply reply = f.systemToken(SANDBOX, "system/Patient.read", TestKeys.assertion(clientId, endpoint(), f.rsaKey));

            assertInvalidClient(reply, "client-assertion:jwt-bearer:invalid-signature");
            assertThat(f.sim.requestLog().outbound()).filteredOn(o -> o.url().equals(url)).singleElement()
                    .satisfies(o -> assertThat(o.status()).isZero());
        }

        @Test
        void is_not_fetched_from_a_jku() {
            Account account = account("max-age=300");
            JwksServer elsewhere = new JwksServer().keys(account.key().toPublicJWK());
            servers.add(elsewhere);
            String assertion = TestKeys.assertion(account.clientId(), endpoint(), account.key(),
                    h -> h.jwkURL(URI.create(elsewhere.url())), c -> { });

            assertInvalidClient(f.systemToken(SANDBOX, "system/Patient.read", assertion), "client-assertion:jwt-bearer:invalid-assertion");
            assertThat(elsewhere.hits()).isZero();
            assertThat(account.jwks().hits()).isZero();
        }
    }
}
