package dev.smartbroker.simulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One simulator on a free loopback port with the test apps registered, the apps' JWKS served for real, and the
 * steps of a launch as a clinician and an app take them.
 */
final class Fixture implements AutoCloseable {

    static final String SANDBOX = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    static final String NORTHWIND = "hH7nD2kqV9sLxP4tR6wB8zF1cJ3mQ5yA";
    static final String WILMA = "12724065";
    static final String WILMA_ENCOUNTER = "97953483";
    static final String TIMMY = "12724069";
    static final String TIMMY_ENCOUNTER = "97953492";
    static final String JOE = "12724067";

    /** A confidential provider app with a secret that needs form-urlencoding in the Basic header (RFC 6749 §2.3.1). */
    static final String APP = "test-app";
    static final String APP_SECRET = "s3cret:with&odd chars+";
    /** A confidential provider app that authenticates with signed JWTs. */
    static final String JWT_APP = "jwt-app";
    static final String PUBLIC_APP = "public-app";
    /** An app with two redirect URIs, one with a trailing slash and a query. */
    static final String TWO_REDIRECTS_APP = "two-redirects-app";
    static final String SYSTEM = "system-account";
    static final String SYSTEM_SECRET_ACCOUNT = "system-secret-account";
    static final String SYSTEM_SECRET = "system-secret";
    static final String REDIRECT = "https://app.example.org/callback";
    static final String LAUNCH_URI = "https://app.example.org/launch";
    static final List<String> PROVIDER_SCOPES = List.of("launch", "openid", "fhirUser", "profile", "online_access", "offline_access",
            "user/Patient.read", "user/Observation.read", "user/Encounter.read", "user/Practitioner.read",
            "patient/Patient.read", "patient/Observation.read", "patient/Encounter.read", "user/Observation.rs", "user/Patient.rs");
    static final List<String> SYSTEM_SCOPES = List.of("system/Patient.read", "system/Observation.read", "system/Encounter.rs");
    static final String PROVIDER_SCOPE = "launch openid fhirUser profile online_access user/Patient.read user/Observation.read";

    final CernerSimulator sim;
    final JwksServer jwks;
    final RSAKey rsaKey = TestKeys.rsa("client-rsa-1");
    final ECKey ecKey = TestKeys.ec384("client-ec-1");

    private Fixture(SimulatorConfig config) {
        // The simulator before any other JDK HttpServer: it switches TCP_NODELAY on for them (see CernerSimulator).
        sim = CernerSimulator.start(config.withPort(0));
        jwks = new JwksServer().keys(rsaKey.toPublicJWK(), ecKey.toPublicJWK()).cacheControl("max-age=300");
        registerApps();
    }

    static Fixture start() {
        return new Fixture(SimulatorConfig.defaults());
    }

    static Fixture start(SimulatorConfig config) {
        return new Fixture(config);
    }

    void registerApps() {
        sim.registerApp(new AppRegistration(APP, "Test App", APP_SECRET, List.of(REDIRECT), LAUNCH_URI, PROVIDER_SCOPES,
                null, "v1", "provider", false));
        sim.registerApp(new AppRegistration(JWT_APP, "JWT App", null, List.of(REDIRECT), LAUNCH_URI + "?variant=jwt", PROVIDER_SCOPES,
                jwks.url(), "v1", "provider", false));
        sim.registerApp(new AppRegistration(PUBLIC_APP, "Public App", null, List.of(REDIRECT), LAUNCH_URI, PROVIDER_SCOPES,
                null, "v2", "provider", true));
        sim.registerApp(new AppRegistration(TWO_REDIRECTS_APP, "Two Redirects App", "two-secret",
                List.of(REDIRECT + "/", REDIRECT + "?tab=2"), LAUNCH_URI, PROVIDER_SCOPES, null, "v1", "provider", false));
        sim.registerApp(new AppRegistration(SYSTEM, "System Account", null, List.of(), null, SYSTEM_SCOPES, jwks.url(), "v1",
                "system", false));
        sim.registerApp(new AppRegistration(SYSTEM_SECRET_ACCOUNT, "System Account (secret)", SYSTEM_SECRET, List.of(), null,
                SYSTEM_SCOPES, null, "v1", "system", false));
    }

    /** A new provider app like {@link #APP} (same secret and redirect URI) under a unique client id: no consent remembered. */
    String freshApp() {
        String clientId = "app-" + UUID.randomUUID();
        sim.registerApp(new AppRegistration(clientId, "Fresh App", APP_SECRET, List.of(REDIRECT), LAUNCH_URI, PROVIDER_SCOPES,
                null, "v1", "provider", false));
        return clientId;
    }

    @Override
    public void close() {
        sim.close();
        jwks.close();
    }

    // ---------------------------------------------------------------- launch, authorize, sign in, consent

    /** PowerChart: the launcher's form for the patient (null: organizer) and app; returns the launch value. */
    String launch(Browser browser, String tenant, String patient, String clientId) {
        Browser.Reply page = browser.get(sim.baseUrl() + "/launcher?tenant=" + tenant);
        assertThat(page.status()).isEqualTo(200);
        Browser.Reply redirect = browser.submit(page, "form#launch-" + (patient == null ? "organizer" : patient), Map.of("app", clientId));
        assertThat(redirect.status()).as(redirect.body()).isEqualTo(303);
        Map<String, String> q = redirect.locationQuery();
        assertThat(q.get("iss")).isEqualTo(sim.fhirBase(tenant));
        return q.get("launch");
    }

    String launch(String tenant, String patient, String clientId) {
        return launch(new Browser(), tenant, patient, clientId);
    }

    /** The authorize parameters an EHR-launched app sends, PKCE included. */
    Map<String, String> authorizeParams(String tenant, String clientId, String launch, String scope, Pkce pkce) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("response_type", "code");
        p.put("client_id", clientId);
        p.put("redirect_uri", REDIRECT);
        p.put("scope", scope);
        p.put("state", "st-" + UUID.randomUUID());
        p.put("aud", sim.fhirBase(tenant));
        p.put("launch", launch);
        if (pkce != null) {
            p.put("code_challenge", pkce.challenge());
            p.put("code_challenge_method", "S256");
        }
        return p;
    }

    Browser.Reply authorize(Browser browser, String tenant, Map<String, String> params) {
        return browser.get(sim.authorizationEndpoint(tenant) + "?" + Browser.form(params));
    }

    static Browser.Reply signIn(Browser browser, Browser.Reply loginPage, String username, String password) {
        return browser.submit(loginPage, "form#login", Map.of("username", username, "password", password));
    }

    static Browser.Reply decide(Browser browser, Browser.Reply consentPage, String decision) {
        return browser.submit(consentPage, "form#consent", Map.of("decision", decision));
    }

    /** Signs in if asked, allows if asked, and returns the redirect to the app. */
    static Browser.Reply signInAndAllow(Browser browser, Browser.Reply page, String username) {
        Browser.Reply current = page;
        for (int i = 0; i < 3 && current.status() != 302; i++) {
            if (current.document().selectFirst("form#login") != null) {
                current = signIn(browser, current, username, username);
            } else if (current.document().selectFirst("form#consent") != null) {
                current = decide(browser, current, "allow");
            } else {
                throw new AssertionError("unexpected page " + current.status() + ": " + current.body());
            }
        }
        assertThat(current.status()).as(current.body()).isEqualTo(302);
        return current;
    }

    /** What a completed authorization hands the app. */
    record Grant(String code, String state, Pkce pkce, Map<String, String> redirectQuery) {
    }

    /** A launch through the launcher, authorize, sign-in as {@code username} and consent, up to the code. */
    Grant codeFlow(Browser browser, String tenant, String patient, String clientId, String scope, String username) {
        String launch = launch(browser, tenant, patient, clientId);
        Pkce pkce = Pkce.create();
        Map<String, String> params = authorizeParams(tenant, clientId, launch, scope, pkce);
        Browser.Reply redirect = signInAndAllow(browser, authorize(browser, tenant, params), username);
        assertThat(redirect.location()).startsWith(REDIRECT + "?");
        Map<String, String> q = redirect.locationQuery();
        assertThat(q).containsKey("code").containsEntry("state", params.get("state"));
        return new Grant(q.get("code"), q.get("state"), pkce, q);
    }

    Grant codeFlow(String tenant, String patient, String scope) {
        return codeFlow(new Browser(), tenant, patient, APP, scope, "portal");
    }

    // ---------------------------------------------------------------- token endpoint

    Browser.Reply token(String tenant, Map<String, String> form, String... headers) {
        return new Browser().postForm(sim.tokenEndpoint(tenant), form, headers);
    }

    /** The code exchange of {@link #APP} with client_secret_basic. */
    Browser.Reply exchange(String tenant, Grant grant) {
        return token(tenant, Map.of("grant_type", "authorization_code", "code", grant.code(), "redirect_uri", REDIRECT,
                "code_verifier", grant.pkce().verifier()), "Authorization", basic(APP, APP_SECRET));
    }

    Browser.Reply refresh(String tenant, String refreshToken) {
        return token(tenant, Map.of("grant_type", "refresh_token", "refresh_token", refreshToken), "Authorization", basic(APP, APP_SECRET));
    }

    /** client_credentials for {@link #SYSTEM} with an assertion signed by {@code key}. */
    Browser.Reply systemToken(String tenant, String scope, String assertion) {
        return token(tenant, Map.of("grant_type", "client_credentials", "scope", scope,
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", assertion));
    }

    /** A live system access token with all the system account's scopes. */
    String systemAccessToken(String tenant) {
        Browser.Reply reply = token(tenant, Map.of("grant_type", "client_credentials", "scope", String.join(" ", SYSTEM_SCOPES)),
                "Authorization", basic(SYSTEM_SECRET_ACCOUNT, SYSTEM_SECRET));
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().path("access_token").asText();
    }

    /** A user access token of an EHR launch for {@code patient} with {@code scope}. */
    String launchAccessToken(String tenant, String patient, String scope) {
        Browser.Reply reply = exchange(tenant, codeFlow(tenant, patient, scope));
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().path("access_token").asText();
    }

    /** client_secret_basic: id and secret form-urlencoded, then Base64 (RFC 6749 §2.3.1). */
    static String basic(String clientId, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((Browser.enc(clientId) + ":" + Browser.enc(secret)).getBytes(StandardCharsets.UTF_8));
    }

    /** The URN inside a Cerner error_uri (docs/ehr/cerner.md §2.3). */
    static String urn(String errorUri) {
        String path = errorUri.substring(errorUri.indexOf("/errors/") + "/errors/".length());
        return java.net.URLDecoder.decode(path.substring(0, path.indexOf('/')), StandardCharsets.UTF_8);
    }

    /** A PKCE verifier and its S256 challenge. */
    record Pkce(String verifier, String challenge) {

        static Pkce create() {
            String verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
            return new Pkce(verifier, s256(verifier));
        }

        static String s256(String verifier) {
            try {
                return Base64.getUrlEncoder().withoutPadding().encodeToString(
                        MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
