package dev.smartbroker.it.bench.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.simulator.AppRegistration;
import dev.smartbroker.simulator.CernerSimulator;

/**
 * The comparator: what Keycloak does out of the box against the same simulated Cerner tenant. Keycloak's own
 * {@code oidc} identity provider with the tenant's authorize and token endpoints, the broker's Cerner registration
 * (client id and secret, HTTP Basic), PKCE S256, {@code launch} and {@code aud} forwarded from the app's request,
 * the id_token checked against the tenant's issuer and the simulator's JWKS, no nonce (Cerner does not echo it), no
 * userinfo, sync mode FORCE, and the scopes the broker's tenant asks. The app is a client of its own whose browser
 * flow is Keycloak's built-in {@code browser} flow, so that the realm's SMART step does not take the forwarded
 * {@code launch} for a SMART launch.
 *
 * <p>Everything is created through the admin REST API (and the simulator's app registry) and removed by
 * {@link #close()}, also after a failed run.
 */
final class StockComparator implements AutoCloseable {

    static final String ALIAS = "bench-stock";
    static final String CLIENT_ID = "bench-stock-app";
    static final String CLIENT_SECRET = "bench-stock-secret";
    /** A clinician of its own: the broker's clinician already holds the simulator user's email in the realm. */
    static final String CERNER_USER = "nurse";

    private final Environment env;
    private final List<Runnable> undo = new ArrayList<>();
    private String redirectUri;

    private StockComparator(Environment env) {
        this.env = env;
    }

    /** Sets the comparator up; on failure, removes what it had already created. */
    static StockComparator install(Environment env, String upstreamScope) {
        StockComparator stock = new StockComparator(env);
        try {
            stock.registerRedirectAtSimulator();
            stock.createIdentityProvider(upstreamScope);
            stock.createClient();
            return stock;
        } catch (RuntimeException e) {
            stock.close();
            throw e;
        }
    }

    String redirectUri() {
        return redirectUri;
    }

    /** The broker's Cerner registration also accepts the comparator's callback (restored on close). */
    private void registerRedirectAtSimulator() {
        CernerSimulator simulator = env.simulator();
        AppRegistration original = simulator.apps().stream().filter(a -> a.clientId().equals(Environment.BROKER_CLIENT_ID)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the simulator has no registration " + Environment.BROKER_CLIENT_ID));
        List<String> redirects = new ArrayList<>(original.redirectUris());
        redirects.add(env.realmUrl() + "/broker/" + ALIAS + "/endpoint");
        simulator.registerApp(new AppRegistration(original.clientId(), original.name(), original.clientSecret(), redirects,
                original.launchUri(), original.scopes(), original.jwksUrl(), original.smartVersion(), original.type(), original.publicClient()));
        undo.add(() -> simulator.registerApp(original));
    }

    private void createIdentityProvider(String upstreamScope) {
        CernerSimulator simulator = env.simulator();
        String tenant = Environment.SANDBOX_TENANT;
        Map<String, String> config = new LinkedHashMap<>();
        config.put("authorizationUrl", simulator.authorizationEndpoint(tenant));
        config.put("tokenUrl", simulator.tokenEndpoint(tenant));
        config.put("clientId", Environment.BROKER_CLIENT_ID);
        config.put("clientSecret", Environment.BROKER_CLIENT_SECRET);
        config.put("clientAuthMethod", "client_secret_basic");
        config.put("pkceEnabled", "true");
        config.put("pkceMethod", "S256");
        config.put("forwardParameters", "launch,aud");
        config.put("issuer", simulator.oidcIssuer(tenant));
        config.put("jwksUrl", simulator.baseUrl() + "/jwk");
        config.put("useJwksUrl", "true");
        config.put("validateSignature", "true");
        config.put("disableNonce", "true");
        config.put("disableUserInfo", "true");
        config.put("syncMode", "FORCE");
        config.put("defaultScope", upstreamScope);
        Map<String, Object> idp = new LinkedHashMap<>();
        idp.put("alias", ALIAS);
        idp.put("displayName", "Launch benchmark: stock OIDC against the simulated sandbox tenant");
        idp.put("providerId", "oidc");
        idp.put("enabled", true);
        idp.put("hideOnLogin", true);
        idp.put("trustEmail", false);
        idp.put("storeToken", false);
        // Only the first login goes through it: create the user, no page (Keycloak's idp-create-user-if-unique alone).
        idp.put("firstBrokerLoginFlowAlias", "smart first broker login");
        idp.put("config", config);
        String path = "/realms/" + env.realm() + "/identity-provider/instances";
        expect(env.admin().post(path, idp), 201, "create the stock identity provider");
        undo.add(() -> env.admin().delete(path + "/" + ALIAS));
    }

    private void createClient() {
        KeycloakAdmin admin = env.admin();
        String realm = "/realms/" + env.realm();
        String browserFlow = null;
        for (JsonNode flow : admin.get(realm + "/authentication/flows").json()) {
            if ("browser".equals(flow.path("alias").asText())) {
                browserFlow = flow.path("id").asText();
            }
        }
        if (browserFlow == null) {
            throw new IllegalStateException("the realm has no built-in 'browser' flow");
        }
        redirectUri = env.sampleAppUrl() + "/login/oauth2/code/" + ALIAS;
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", CLIENT_ID);
        client.put("name", "Launch benchmark: stock comparator app");
        client.put("enabled", true);
        client.put("protocol", "openid-connect");
        client.put("publicClient", false);
        client.put("clientAuthenticatorType", "client-secret");
        client.put("secret", CLIENT_SECRET);
        client.put("standardFlowEnabled", true);
        client.put("implicitFlowEnabled", false);
        client.put("directAccessGrantsEnabled", false);
        client.put("redirectUris", List.of(redirectUri));
        client.put("attributes", Map.of("pkce.code.challenge.method", "S256"));
        client.put("fullScopeAllowed", false);
        // The sample app's scopes without the two SMART ones.
        client.put("defaultClientScopes", List.of("web-origins", "acr", "basic", "profile", "email"));
        client.put("authenticationFlowBindingOverrides", Map.of("browser", browserFlow));
        expect(admin.post(realm + "/clients", client), 201, "create the stock comparator's client");
        String uuid = admin.clientUuid(env.realm(), CLIENT_ID);
        undo.add(() -> admin.delete(realm + "/clients/" + uuid));
    }

    /** Removes the user the comparator's first login created (with the other things, on close). */
    void removeUserOnClose(String userId) {
        undo.add(() -> env.admin().delete("/realms/" + env.realm() + "/users/" + userId));
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).run();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        undo.clear();
        if (failure != null) {
            throw failure;
        }
    }

    static void expect(KeycloakAdmin.Response response, int status, String what) {
        if (response.status() != status) {
            throw new IllegalStateException("could not " + what + ": HTTP " + response.status() + " " + response.body());
        }
    }
}
