package dev.smartbroker.it.bench.launch;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;

/**
 * Whole launches one at a time with the IT support classes (JDK HTTP client, a fresh browser each, so each ends in a
 * Keycloak session of its own): the benchmarks' set-up probes and the memory benchmark's live launches.
 */
final class SerialLaunches {

    static final String BROKER_CLINICIAN = "portal";

    /** A launch's outcome: the ID token's claims and the browser that made it (its history shows what went to Cerner). */
    record Done(JsonNode idToken, Browser browser) {
    }

    private final Environment env;
    private final String tenant;
    private final Launches launches;
    private final OidcClient app;
    private final HttpClient transport = Browser.transport();
    private final Map<String, OidcClient> stockClients = new HashMap<>();

    SerialLaunches(Environment env, String tenant) {
        this.env = env;
        this.tenant = tenant;
        this.launches = new Launches(env);
        this.app = launches.app();
    }

    /** Launch URI, the app's authorization request with {@code kc_launch}, Cerner sign-in, code exchange. */
    Done broker(String patient) {
        String fhirBase = env.simulator().fhirBase(tenant);
        String launch = env.simulator().createLaunch(tenant, patient, Environment.BROKER_CLIENT_ID);
        Browser browser = new Browser(transport);
        Browser.Page landing = browser.get(env.realmUrl() + "/smart-launch/" + Launches.APP + "?iss=" + enc(fhirBase) + "&launch=" + enc(launch));
        String handle = launches.handleOf(landing);
        OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_launch", handle));
        Browser.Page back = CernerPages.signInAndAllow(browser, browser.get(request.url()), BROKER_CLINICIAN, BROKER_CLINICIAN,
                l -> l.startsWith(app.redirectUri()));
        return new Done(exchange(app, request, back, "broker").idTokenClaims(), browser);
    }

    /** The stock comparator's brokered login of the same tenant ({@code kc_idp_hint}, {@code launch}, {@code aud}). */
    Done stock(StockComparator stock, String patient) {
        String fhirBase = env.simulator().fhirBase(tenant);
        String launch = env.simulator().createLaunch(tenant, patient, Environment.BROKER_CLIENT_ID);
        Browser browser = new Browser(transport);
        OidcClient app = stockClients.computeIfAbsent(stock.redirectUri(),
                uri -> new OidcClient(env.realmUrl(), StockComparator.CLIENT_ID, StockComparator.CLIENT_SECRET, uri));
        OidcClient.AuthorizationRequest request = app.authorizationRequest(Map.of("kc_idp_hint", StockComparator.ALIAS, "launch", launch,
                "aud", fhirBase, "prompt", "login"));
        Browser.Page back = CernerPages.signInAndAllow(browser, browser.get(request.url()), StockComparator.CERNER_USER,
                StockComparator.CERNER_USER, l -> l.startsWith(app.redirectUri()));
        return new Done(exchange(app, request, back, "stock").idTokenClaims(), browser);
    }

    /** The scope of the redirect to Cerner's authorize, from a browser's history. */
    String scopeSentToCerner(Browser browser) {
        String authorize = env.simulator().authorizationEndpoint(tenant);
        for (Browser.Page page : browser.history()) {
            String location = page.isRedirect() ? page.location() : null;
            if (location != null && location.startsWith(authorize)) {
                String scope = Browser.query(location).get("scope");
                if (scope != null) {
                    return scope;
                }
            }
        }
        throw new IllegalStateException("the launch never went to Cerner's authorize");
    }

    /** The code exchange, with checks whose messages carry no code. */
    static OidcClient.TokenResponse exchange(OidcClient app, OidcClient.AuthorizationRequest request, Browser.Page back, String who) {
        Map<String, String> answer = Browser.query(back.location());
        if (answer.containsKey("error") || !request.state().equals(answer.get("state")) || answer.get("code") == null) {
            throw new IllegalStateException(who + " launch: Keycloak's redirect to the app has " + (answer.containsKey("error")
                    ? "error " + answer.get("error") : "no code for this state"));
        }
        OidcClient.TokenResponse tokens = app.exchange(request, back.location());
        if (tokens.status() != 200) {
            throw new IllegalStateException(who + " launch: code exchange answered " + tokens.status() + " " + tokens.json().path("error"));
        }
        return tokens;
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
