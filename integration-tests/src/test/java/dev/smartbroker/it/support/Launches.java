package dev.smartbroker.it.support;

import java.util.Map;

/**
 * Scripted EHR launches of the sample-app client: PowerChart → Launch URI → app landing → the app's authorization
 * request (through the Cerner round trip) → tokens. The app side is an {@link OidcClient} holding the sample app's
 * credentials, so tests can keep several launches' tokens at once.
 */
public final class Launches {

    public static final String APP = "sample-app";
    public static final String APP_SECRET = "sample-app-secret";

    private final Environment env;

    public Launches(Environment env) {
        this.env = env;
    }

    /** How the app's login learns its launch. */
    public enum Binding {
        /** The app forwards kc_launch from its landing URL. */
        HANDLE,
        /** The app forwards nothing; the Launch URI's cookie carries the launch. */
        COOKIE
    }

    /** A finished launch: the app's tokens and the steps it took. */
    public record Launched(OidcClient.TokenResponse tokens, OidcClient client, String handle) {
    }

    public OidcClient app() {
        return new OidcClient(env.realmUrl(), APP, APP_SECRET, env.sampleAppUrl() + "/login/oauth2/code/keycloak");
    }

    /** PowerChart opens the Launch URI; returns the Launch URI's answer (the landing redirect, or an error page). */
    public Browser.Page openLaunchUri(Browser browser, String tenant, String patientName, String cernerClientId) {
        Browser.Page toLaunchUri = PowerChart.launch(browser, env, tenant, patientName, cernerClientId);
        return browser.get(toLaunchUri.location());
    }

    /** The handle the Launch URI put on the app's landing URL. */
    public String handleOf(Browser.Page landingRedirect) {
        if (!landingRedirect.isRedirect() || !landingRedirect.location().startsWith(env.sampleAppUrl())) {
            throw new AssertionError("expected a landing on the app, got " + landingRedirect + "\n" + landingRedirect.body());
        }
        return Browser.query(landingRedirect.location()).get("kc_launch");
    }

    /** The app's login from its landing, through Cerner, to its tokens. */
    public Launched login(Browser browser, String handle, Binding binding, String username, String password) {
        return login(browser, handle, binding, username, password, Map.of());
    }

    /**
     * The same with further authorization parameters of the app, e.g. {@code scope=openid organization} (they replace
     * the defaults of {@link OidcClient#authorizationRequest}).
     */
    public Launched login(Browser browser, String handle, Binding binding, String username, String password,
                          Map<String, String> parameters) {
        OidcClient app = app();
        Map<String, String> extra = new java.util.LinkedHashMap<>(parameters);
        if (binding == Binding.HANDLE) {
            extra.put("kc_launch", handle);
        }
        OidcClient.AuthorizationRequest request = app.authorizationRequest(extra);
        Browser.Page start = browser.get(request.url());
        Browser.Page back = CernerPages.signInAndAllow(browser, start, username, password, l -> l.startsWith(app.redirectUri()));
        OidcClient.TokenResponse tokens = app.exchange(request, back.location());
        if (tokens.status() != 200) {
            throw new AssertionError("code exchange failed: " + tokens.json());
        }
        return new Launched(tokens, app, handle);
    }

    /** A whole launch as portal/portal. */
    public Launched launch(Browser browser, String tenant, String patientName, Binding binding) {
        return launch(browser, tenant, patientName, binding, "portal", "portal");
    }

    /** A whole launch, signing in at the EHR as {@code username} when it asks. */
    public Launched launch(Browser browser, String tenant, String patientName, Binding binding, String username, String password) {
        return launch(browser, tenant, patientName, binding, Map.of(), username, password);
    }

    /** A whole launch as portal/portal whose app sends further authorization parameters. */
    public Launched launch(Browser browser, String tenant, String patientName, Binding binding, Map<String, String> parameters) {
        return launch(browser, tenant, patientName, binding, parameters, "portal", "portal");
    }

    private Launched launch(Browser browser, String tenant, String patientName, Binding binding, Map<String, String> parameters,
                            String username, String password) {
        String cernerClient = Environment.SANDBOX_TENANT.equals(tenant) ? Environment.BROKER_CLIENT_ID : Environment.BROKER_JWT_CLIENT_ID;
        String handle = handleOf(openLaunchUri(browser, tenant, patientName, cernerClient));
        return login(browser, handle, binding, username, password, parameters);
    }
}
