package dev.smartbroker.it.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Http;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.simulator.CernerSimulator;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Launch steps against a cluster whose public hostname has no listener: both nodes issue URLs on
 * {@code https://<public host>}, and every request the browser would send there is sent to the node the test picks
 * for that step instead, as a load balancer would pick one. The scripted {@link Browser} follows redirects by hand,
 * so each Keycloak hop is rewritten; Cerner's (the simulator's) pages are reached directly.
 */
final class NodeRouting {

    static final String APP = "sample-app";
    static final String APP_SECRET = "sample-app-secret";
    static final String SANDBOX_TENANT = "ec2458f2-1e24-41c8-b71b-0e701af7583d";
    static final String BROKER_CLIENT_ID = "smart-broker-demo";

    private final String publicUrl;
    private final String appUrl;
    private final CernerSimulator simulator;

    NodeRouting(String publicUrl, String appUrl, CernerSimulator simulator) {
        this.publicUrl = publicUrl;
        this.appUrl = appUrl;
        this.simulator = simulator;
    }

    String publicUrl() {
        return publicUrl;
    }

    String issuer() {
        return publicUrl + "/realms/smart";
    }

    String appUrl() {
        return appUrl;
    }

    String redirectUri() {
        return appUrl + "/login/oauth2/code/keycloak";
    }

    /** The URL as {@code node} serves it, for a URL on the public hostname; other URLs unchanged. */
    String on(String url, ClusterNode node) {
        return url.startsWith(publicUrl + "/") ? node.url() + url.substring(publicUrl.length()) : url;
    }

    OidcClient app(ClusterNode node) {
        return new OidcClient(node.realmUrl(), APP, APP_SECRET, redirectUri());
    }

    /** A launch as PowerChart opens it: the app's Launch URI on the public hostname with Cerner's iss and launch. */
    String launchUri(String patientId) {
        String launch = simulator.createLaunch(SANDBOX_TENANT, patientId, BROKER_CLIENT_ID);
        return publicUrl + "/realms/smart/smart-launch/" + APP + "?iss="
                + URLEncoder.encode(simulator.fhirBase(SANDBOX_TENANT), StandardCharsets.UTF_8)
                + "&launch=" + URLEncoder.encode(launch, StandardCharsets.UTF_8);
    }

    /** Step 1: PowerChart opens the Launch URI, served by {@code node}; returns the handle the app's landing carries. */
    String openLaunchUri(Browser browser, String patientId, ClusterNode node) {
        Browser.Page landing = browser.get(on(launchUri(patientId), node));
        if (!landing.isRedirect() || !landing.location().startsWith(appUrl)) {
            throw new AssertionError("expected a landing on the app from " + node.name() + ", got " + landing.status() + " "
                    + (landing.isRedirect() ? "-> " + withoutQuery(landing.location()) : "") + "\n" + landing.body());
        }
        String handle = Browser.query(landing.location()).get("kc_launch");
        if (handle == null || handle.isBlank()) {
            throw new AssertionError("the landing carries no kc_launch handle");
        }
        return handle;
    }

    /** A launch waiting at Cerner: the app's request, and Cerner's redirect back to the broker, not yet followed. */
    record AtCerner(Browser browser, OidcClient.AuthorizationRequest request, Browser.Page callback) {
    }

    /** A launch whose app has its code, not yet exchanged. */
    record WithCode(OidcClient.AuthorizationRequest request, String redirect, java.time.Instant issued) {
    }

    /**
     * Step 2: the app's authorization request, forwarding the handle, sent to {@code route.get()} for every Keycloak
     * hop, through Cerner's login and consent, up to Cerner's redirect to the broker's callback (not followed).
     */
    AtCerner authorize(Browser browser, String handle, Supplier<ClusterNode> route) {
        ClusterNode first = route.get();
        OidcClient.AuthorizationRequest request = app(first).authorizationRequest(Map.of("kc_launch", handle));
        Browser.Page start = browser.get(request.url());
        Browser.Page callback = throughCerner(browser, start, route, l -> l.startsWith(publicUrl + "/realms/smart/broker/cerner-sandbox/endpoint"));
        return new AtCerner(browser, request, callback);
    }

    /** Step 3: Cerner's redirect to the broker's callback, served by {@code route}, up to the app's redirect with its code. */
    WithCode callback(AtCerner parked, Supplier<ClusterNode> route) {
        Browser.Page back = follow(parked.browser(), parked.callback(), route, l -> l.startsWith(redirectUri()));
        if (!back.isRedirect() || !back.location().startsWith(redirectUri())) {
            throw new AssertionError("expected the app's redirect, got " + back.status() + " " + withoutQuery(back.url())
                    + "\nrequests: " + trail(parked.browser()) + "\n" + back.body());
        }
        if (!parked.request().state().equals(Browser.query(back.location()).get("state")) || Browser.query(back.location()).get("code") == null) {
            throw new AssertionError("the app's redirect has no code for its state: " + Browser.query(back.location()).keySet());
        }
        return new WithCode(parked.request(), back.location(), java.time.Instant.now());
    }

    /**
     * Steps 2 and 3 by the sample app itself (listening on the app URL, pointed at one node): its landing with the
     * handle, its own authorization request, Cerner's login and consent, and the broker's callback, every Keycloak hop
     * on the public hostname sent to {@code route.get()}; up to Keycloak's redirect to the app with its code (not
     * followed: the app's session holds the pending login, the redirect hands it the code).
     */
    Browser.Page throughTheSampleApp(Browser browser, String handle, Supplier<ClusterNode> route) {
        Browser.Page landing = browser.get(appUrl + "/?kc_launch=" + URLEncoder.encode(handle, StandardCharsets.UTF_8));
        Browser.Page callback = throughCerner(browser, landing, route,
                l -> l.startsWith(publicUrl + "/realms/smart/broker/cerner-sandbox/endpoint"));
        Browser.Page back = follow(browser, callback, route, l -> l.startsWith(redirectUri()));
        if (!back.isRedirect() || !back.location().startsWith(redirectUri()) || Browser.query(back.location()).get("code") == null) {
            throw new AssertionError("expected Keycloak's redirect to the sample app with a code, got " + back.status() + " "
                    + withoutQuery(back.url()) + "\nrequests: " + trail(browser) + "\n" + back.body());
        }
        return back;
    }

    /** Step 4: the app exchanges its code at {@code node}. */
    OidcClient.TokenResponse exchange(WithCode parked, ClusterNode node) {
        return app(node).exchange(parked.request(), parked.redirect());
    }

    Http.Reply launchToken(ClusterNode node, String accessToken) {
        return Http.get(node.realmUrl() + "/cerner/launch-token", accessToken);
    }

    JsonNode userinfo(ClusterNode node, String accessToken) {
        return app(node).userinfo(accessToken);
    }

    OidcClient.TokenResponse refresh(ClusterNode node, String refreshToken) {
        return app(node).refresh(refreshToken);
    }

    /**
     * Follows redirects from {@code page}; Keycloak hops (public hostname) go to {@code route.get()}, one call per hop.
     * Returns the redirect whose location {@code stop} accepts (not followed), or the first page that is not a redirect.
     */
    Browser.Page follow(Browser browser, Browser.Page page, Supplier<ClusterNode> route, Predicate<String> stop) {
        Browser.Page current = page;
        for (int hops = 0; current.isRedirect() && hops < 30; hops++) {
            String location = current.location();
            if (stop.test(location)) {
                return current;
            }
            current = browser.get(location.startsWith(publicUrl + "/") ? on(location, route.get()) : location);
        }
        return current;
    }

    /** What a clinician does at Cerner: sign in as portal/portal when asked, allow the app when asked. */
    Browser.Page throughCerner(Browser browser, Browser.Page page, Supplier<ClusterNode> route, Predicate<String> stop) {
        Browser.Page end = settle(browser, page, route, stop);
        if (!(end.isRedirect() && stop.test(end.location()))) {
            throw new AssertionError("unexpected page " + end.status() + " " + withoutQuery(end.url()) + "\nrequests: " + trail(browser) + "\n" + end.body());
        }
        return end;
    }

    /**
     * Like {@link #throughCerner}, but returns any page that is neither a redirect nor Cerner's login or consent
     * (an error page of Keycloak, say) instead of failing on it.
     */
    Browser.Page settle(Browser browser, Browser.Page page, Supplier<ClusterNode> route, Predicate<String> stop) {
        Browser.Page current = page;
        for (int steps = 0; steps < 12; steps++) {
            current = follow(browser, current, route, stop);
            if (current.isRedirect()) {
                return current;
            }
            Document document = current.document();
            Element password = document.selectFirst("form input[type=password]");
            if (password != null) {
                Element form = password.closest("form");
                Element user = form.selectFirst("input[type=text], input[type=email], input[name=username]");
                form.attr("data-it", "login");
                current = browser.submit(withDocument(current, document), "form[data-it=login]",
                        Map.of(user.attr("name"), "portal", password.attr("name"), "portal"));
                continue;
            }
            Element allow = allowButton(document);
            if (allow != null) {
                Element form = allow.closest("form");
                form.attr("data-it", "consent");
                current = browser.submit(withDocument(current, document), "form[data-it=consent]",
                        allow.hasAttr("name") ? Map.of(allow.attr("name"), allow.attr("value")) : Map.of());
                continue;
            }
            return current;
        }
        throw new AssertionError("too many steps; last page " + current);
    }

    /** Status, host and path of every request of the browser (no query: no codes, states or launch values). */
    static String trail(Browser browser) {
        StringBuilder out = new StringBuilder();
        for (Browser.Page page : browser.history()) {
            out.append("\n  ").append(page.status()).append(' ').append(withoutQuery(page.url()));
            if (page.isRedirect()) {
                out.append(" -> ").append(withoutQuery(page.location()));
            }
        }
        return out.toString();
    }

    static String withoutQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    private static Browser.Page withDocument(Browser.Page page, Document document) {
        return new Browser.Page(page.status(), page.url(), document.outerHtml(), page.headers());
    }

    private static Element allowButton(Document document) {
        for (Element button : document.select("form button, form input[type=submit]")) {
            String text = (button.text() + " " + button.attr("value") + " " + button.attr("name") + " " + button.id()).toLowerCase(Locale.ROOT);
            if (text.contains("allow") || text.contains("approve") || text.contains("accept")) {
                return button;
            }
        }
        return null;
    }

    /** Round robin over {@code nodes}, one node per call: every hop of a step lands on the other node than the last. */
    static Supplier<ClusterNode> alternating(List<ClusterNode> nodes) {
        int[] next = {0};
        return () -> nodes.get(next[0]++ % nodes.size());
    }

    static Supplier<ClusterNode> only(ClusterNode node) {
        return () -> node;
    }
}
