package dev.smartbroker.it.bench.launch;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.css;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.doIfOrElse;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.exitBlockOnFail;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

/**
 * Gatling simulation of the launch benchmark: virtual browsers doing whole EHR launches, as a browser would, against
 * the broker and against the stock comparator. Each virtual user is one browser with its own cookie jar (Gatling's,
 * which keeps {@code Secure} cookies on loopback) and its own connections. It warms up once (signs in at Cerner,
 * allows the app when asked), then launches back to back in the slots of its comparator ({@link Schedule}).
 *
 * <p>A launch is timed step by step ({@link Step}) with {@code System.nanoTime()} taken between requests, and counts
 * only when every redirect went where it must, Cerner asked for nothing, and the app's ID token is right
 * ({@link IdTokenCheck}). Anything else is an error of its slot, with a reason that names the step and never a
 * value. Run by {@link LaunchBenchmark}, which puts the {@link RunPlan} into {@link #PLAN} first.
 */
public class LaunchSimulation extends Simulation {

    /** The plan of the next run; set by {@link LaunchBenchmark} before it starts Gatling. */
    static final AtomicReference<RunPlan> PLAN = new AtomicReference<>();

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_HOPS = 4;
    private static final int MAX_CERNER_PAGES = 4;

    // Session attributes
    private static final String NEXT = "next";
    private static final String LOC = "loc";
    private static final String STEP = "step";
    private static final String WHY = "why";
    private static final String STAMPS = "stamps";
    private static final String MARK = "mark";
    private static final String HOPS = "hops";
    /** Requests the browser made for this launch. */
    private static final String REQUESTS = "requests";
    private static final String LAUNCHES = "launches";
    private static final String STATE = "state";
    private static final String NONCE = "nonce";
    private static final String VERIFIER = "verifier";
    private static final String PATIENT = "patient";
    private static final String LAUNCH = "launch";
    private static final String CODE = "code";
    private static final String ID_TOKEN = "idToken";
    private static final String LOGIN_TXN = "loginTxn";
    private static final String LOGIN_ACTION = "loginAction";
    private static final String CONSENT_TXN = "consentTxn";
    private static final String CONSENT_ACTION = "consentAction";
    private static final String CERNER_PAGES = "cernerPages";
    private static final String SLOT = "slot";

    private final RunPlan plan;

    public LaunchSimulation() {
        this.plan = PLAN.get();
        if (plan == null) {
            throw new IllegalStateException("LaunchSimulation runs inside LaunchBenchmark (bench/launch), which hands it its plan");
        }
        HttpProtocolBuilder protocol = http
                .disableFollowRedirect()
                .disableWarmUp()
                .disableCaching()
                .disableUrlEncoding()
                // No Referer or Origin derived from the last page: the code exchange is the app's server-side call, and
                // Keycloak's token endpoint refuses (403) an Origin outside the client's web origins.
                .disableAutoReferer()
                .disableAutoOrigin()
                .acceptHeader("text/html,application/json;q=0.9,*/*;q=0.8")
                .acceptLanguageHeader("en")
                .userAgentHeader("smart-broker launch benchmark (Gatling)");
        int browsers = plan.schedule().browsers();
        setUp(browser(Comparator.BROKER).injectOpen(atOnceUsers(browsers)),
                browser(Comparator.STOCK).injectOpen(atOnceUsers(browsers)))
                .protocols(protocol)
                .maxDuration(plan.maxRun());
    }

    // ------------------------------------------------------------------ one virtual browser

    private ScenarioBuilder browser(Comparator comparator) {
        Schedule schedule = plan.schedule();
        return scenario(comparator.label() + " browsers")
                .exec(session -> session.set(LAUNCHES, 0).set(HOPS, 0).set(REQUESTS, 0))
                .exitBlockOnFail().on(launch(comparator, true))
                .exec(session -> {
                    schedule.recordWarmup(session.isFailed() ? failure(session) : null, session.getInt(REQUESTS));
                    schedule.browserReady();
                    return session.markAsSucceeded();
                })
                .repeat(schedule.slots().size(), SLOT).on(
                        doIf(session -> schedule.slot(session.getInt(SLOT)).comparator == comparator).then(
                                asLongAs(session -> !schedule.isOpen(session.getInt(SLOT)))
                                        .on(pause(session -> Duration.ofNanos(pollNanos(schedule, session.getInt(SLOT)))))
                                        .asLongAs(session -> schedule.tryStartLaunch(session.getInt(SLOT))).on(
                                                exitBlockOnFail().on(launch(comparator, false))
                                                        .exec(session -> afterLaunch(session)))
                                        .exec(session -> {
                                            schedule.browserDone(session.getInt(SLOT));
                                            return session;
                                        })));
    }

    /** While another slot runs, wake up near its end; then poll briefly. */
    private static long pollNanos(Schedule schedule, int index) {
        long poll = Duration.ofMillis(2).toNanos();
        if (index > 0) {
            Schedule.Slot previous = schedule.slot(index - 1);
            if (previous.openedAt != 0 && previous.closedAt == 0) {
                long left = previous.closesAt - System.nanoTime();
                return Math.max(poll, Math.min(left, Duration.ofMillis(50).toNanos()));
            }
        }
        return poll;
    }

    private Session afterLaunch(Session session) {
        int slot = session.getInt(SLOT);
        if (session.isFailed()) {
            plan.schedule().recordError(slot, failure(session));
        } else {
            plan.schedule().recordLaunch(slot, session.get(STAMPS), session.getInt(REQUESTS));
        }
        return session.set(LAUNCHES, session.getInt(LAUNCHES) + 1).markAsSucceeded();
    }

    private static String failure(Session session) {
        String why = session.getString(WHY);
        return why != null ? why : session.getString(STEP) + ": unexpected HTTP answer";
    }

    // ------------------------------------------------------------------ one launch

    /**
     * One whole launch of {@code comparator}. The warm-up launch also signs in at Cerner and allows the app when
     * Cerner asks; a measured launch must not meet either page.
     */
    private ChainBuilder launch(Comparator comparator, boolean warmup) {
        String name = comparator.label() + (warmup ? " warm-up " : " ");
        RunPlan.Party party = plan.party(comparator);
        ChainBuilder chain = exec(session -> guard(session, s -> prepare(s, comparator)));
        if (comparator == Comparator.BROKER) {
            chain = chain.exec(http(name + "1 Launch URI").get(LaunchSimulation::next).check(redirect()))
                    .exec(session -> guard(session, this::afterLaunchUri));
        }
        chain = chain
                .exec(http(name + "2 app authorize").get(LaunchSimulation::next).check(redirect()))
                .exec(session -> guard(session, LaunchSimulation::followed))
                .asLongAs(session -> !session.isFailed() && !atCerner(session) && session.getInt(HOPS) < MAX_HOPS).on(
                        exec(http(name + "2 app authorize hop").get(LaunchSimulation::next).check(redirect()))
                                .exec(session -> guard(session, LaunchSimulation::followed)))
                .exec(session -> guard(session, s -> s.contains(NEXT) && atCerner(s)
                        ? stamp(s, Step.AUTHORIZE, "Cerner authorize")
                        : fail(s, "app authorize: Keycloak did not send the browser to Cerner's authorize")));
        if (warmup) {
            chain = chain
                    .exec(session -> clearCernerPage(session).set(CERNER_PAGES, 0))
                    .exec(http(name + "3 Cerner authorize").get(LaunchSimulation::next).check(cernerPage()))
                    .asLongAs(session -> !session.isFailed() && !session.contains(LOC) && session.getInt(CERNER_PAGES) < MAX_CERNER_PAGES
                            && (session.contains(LOGIN_TXN) || session.contains(CONSENT_TXN))).on(
                            doIfOrElse(session -> session.contains(LOGIN_TXN)).then(
                                    exec(session -> guard(session, s -> formPost(s, LOGIN_ACTION)))
                                            .exec(http(name + "3 Cerner sign-in").post(LaunchSimulation::next)
                                                    .formParam("txn", session -> session.getString(LOGIN_TXN))
                                                    .formParam("username", party.cernerUser())
                                                    .formParam("password", party.cernerPassword())
                                                    .check(cernerPage())))
                                    .orElse(
                                    exec(session -> guard(session, s -> formPost(s, CONSENT_ACTION)))
                                            .exec(http(name + "3 Cerner consent").post(LaunchSimulation::next)
                                                    .formParam("txn", session -> session.getString(CONSENT_TXN))
                                                    .formParam("decision", "allow")
                                                    .check(cernerPage()))));
        } else {
            chain = chain.exec(http(name + "3 Cerner authorize").get(LaunchSimulation::next).check(redirect()));
        }
        String callbackPrefix = plan.realmUrl() + "/broker/" + party.idpAlias() + "/endpoint?";
        String appPrefix = party.redirectUri() + "?";
        return chain
                .exec(session -> guard(session, s -> {
                    if (!s.contains(LOC)) {
                        return fail(s, warmup ? "Cerner authorize: no redirect after sign-in and consent"
                                : "Cerner authorize: Cerner showed a page (sign-in or consent) instead of redirecting");
                    }
                    Session moved = followed(s);
                    return moved.getString(NEXT).startsWith(callbackPrefix) ? stamp(moved, Step.CERNER, "callback")
                            : fail(moved, "Cerner authorize: redirect is not Keycloak's callback of " + party.idpAlias());
                }))
                .exec(session -> session.set(HOPS, 0))
                .exec(http(name + "4 callback").get(LaunchSimulation::next).check(redirect()))
                .exec(session -> guard(session, LaunchSimulation::followed))
                .asLongAs(session -> !session.isFailed() && !session.getString(NEXT).startsWith(appPrefix) && session.getInt(HOPS) < MAX_HOPS).on(
                        exec(http(name + "4 callback hop").get(LaunchSimulation::next).check(redirect()))
                                .exec(session -> guard(session, LaunchSimulation::followed)))
                .exec(session -> guard(session, s -> {
                    String at = s.getString(NEXT);
                    if (!at.startsWith(appPrefix)) {
                        return fail(s, "callback: Keycloak did not redirect to the app");
                    }
                    Map<String, String> query = query(at);
                    if (query.containsKey("error")) {
                        return fail(s, "callback: Keycloak redirected to the app with error " + query.get("error"));
                    }
                    if (!s.getString(STATE).equals(query.get("state"))) {
                        return fail(s, "callback: state is not this request's");
                    }
                    if (query.get("code") == null) {
                        return fail(s, "callback: no code");
                    }
                    return stamp(s.set(CODE, query.get("code")), Step.CALLBACK, "code exchange");
                }))
                .exec(http(name + "5 code exchange").post(plan.realmUrl() + "/protocol/openid-connect/token")
                        .basicAuth(party.clientId(), party.clientSecret())
                        .formParam("grant_type", "authorization_code")
                        .formParam("code", session -> session.getString(CODE))
                        .formParam("redirect_uri", party.redirectUri())
                        .formParam("code_verifier", session -> session.getString(VERIFIER))
                        .check(status().is(200), jsonPath("$.id_token").saveAs(ID_TOKEN)))
                .exec(session -> guard(session, s -> {
                    Session stamped = stamp(s, Step.EXCHANGE, "done").set(REQUESTS, s.getInt(REQUESTS) + 1);
                    String problem = plan.tokens().problem(s.getString(ID_TOKEN), new IdTokenCheck.Expected(party.clientId(),
                            party.expectedSubject(), s.getString(NONCE), comparator == Comparator.BROKER ? s.getString(PATIENT) : null,
                            comparator == Comparator.BROKER ? plan.tenant() : null));
                    return problem == null ? stamped.remove(ID_TOKEN).remove(CODE) : fail(stamped, "code exchange: " + problem);
                }));
    }

    /** A new launch: minted at the simulator as PowerChart would, then the app's PKCE pair, state and nonce. */
    private Session prepare(Session session, Comparator comparator) {
        RunPlan.Party party = plan.party(comparator);
        int launches = session.getInt(LAUNCHES);
        String patient = plan.patients().get((int) ((session.userId() + launches) % plan.patients().size()));
        String launch = plan.simulator().createLaunch(plan.tenant(), patient, party.cernerLaunchClient());
        String verifier = random(32);
        Session s = session.removeAll(WHY, LOC, CODE, ID_TOKEN, NEXT)
                .set(PATIENT, patient).set(LAUNCH, launch)
                .set(STATE, random(16)).set(NONCE, random(16)).set(VERIFIER, verifier)
                .set(STAMPS, new long[Step.values().length]).set(HOPS, 0).set(REQUESTS, 0);
        if (comparator == Comparator.BROKER) {
            s = s.set(NEXT, plan.realmUrl() + "/smart-launch/" + party.clientId() + "?iss=" + enc(plan.fhirBase()) + "&launch=" + enc(launch))
                    .set(STEP, "Launch URI");
        } else {
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put("kc_idp_hint", party.idpAlias());
            extra.put("launch", launch);
            extra.put("aud", plan.fhirBase());
            extra.put("prompt", "login");
            s = s.set(NEXT, authorizationUrl(s, party, extra)).set(STEP, "app authorize");
        }
        return s.set(MARK, System.nanoTime());
    }

    /** The Launch URI sent the browser to the app's Home URL with kc_launch; the app starts its login with it. */
    private Session afterLaunchUri(Session session) {
        Session s = followed(session);
        String landing = s.getString(NEXT);
        if (!landing.startsWith(plan.appUrl())) {
            return fail(s, "Launch URI: did not land on the app");
        }
        String handle = query(landing).get("kc_launch");
        if (handle == null) {
            return fail(s, "Launch URI: the landing has no kc_launch");
        }
        s = stamp(s, Step.LAUNCH_URI, "app authorize");
        return s.set(NEXT, authorizationUrl(s, plan.broker(), Map.of("kc_launch", handle))).set(HOPS, 0);
    }

    private String authorizationUrl(Session session, RunPlan.Party party, Map<String, String> extra) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_id", party.clientId());
        params.put("redirect_uri", party.redirectUri());
        params.put("response_type", "code");
        params.put("scope", "openid profile");
        params.put("state", session.getString(STATE));
        params.put("nonce", session.getString(NONCE));
        params.put("code_challenge", challenge(session.getString(VERIFIER)));
        params.put("code_challenge_method", "S256");
        params.putAll(extra);
        StringBuilder url = new StringBuilder(plan.realmUrl()).append("/protocol/openid-connect/auth");
        char separator = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            url.append(separator).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
            separator = '&';
        }
        return url.toString();
    }

    // ------------------------------------------------------------------ helpers

    private static CheckBuilder[] redirect() {
        return new CheckBuilder[] {status().in(302, 303), header("Location").saveAs(LOC)};
    }

    /** Cerner answers with a redirect, its sign-in form or its consent form. */
    private static CheckBuilder[] cernerPage() {
        return new CheckBuilder[] {
                status().in(200, 302),
                header("Location").optional().saveAs(LOC),
                css("form#login input[name=txn]", "value").optional().saveAs(LOGIN_TXN),
                css("form#login", "action").optional().saveAs(LOGIN_ACTION),
                css("form#consent input[name=txn]", "value").optional().saveAs(CONSENT_TXN),
                css("form#consent", "action").optional().saveAs(CONSENT_ACTION)};
    }

    private static Session clearCernerPage(Session session) {
        return session.removeAll(LOC, LOGIN_TXN, LOGIN_ACTION, CONSENT_TXN, CONSENT_ACTION);
    }

    /** The next Cerner form's target, resolved against the page; the page's fields are cleared for the answer. */
    private static Session formPost(Session session, String actionAttribute) {
        String action = session.getString(actionAttribute);
        if (action == null) {
            return fail(session, "Cerner authorize: form without action");
        }
        String target = URI.create(session.getString(NEXT)).resolve(action).toString();
        Session s = session.set(NEXT, target).set(CERNER_PAGES, session.getInt(CERNER_PAGES) + 1);
        // Keep the txn for the form parameter; drop the rest so that the answer's checks start clean.
        String txn = session.getString(actionAttribute.equals(LOGIN_ACTION) ? LOGIN_TXN : CONSENT_TXN);
        s = clearCernerPage(s);
        return actionAttribute.equals(LOGIN_ACTION) ? s.set(LOGIN_TXN, txn) : s.set(CONSENT_TXN, txn);
    }

    /** The Location of the last answer becomes the next URL (resolved against the request's URL). */
    private static Session followed(Session session) {
        String location = session.getString(LOC);
        if (location == null) {
            return fail(session, session.getString(STEP) + ": redirect without Location");
        }
        String next = URI.create(session.getString(NEXT)).resolve(location).toString();
        return session.remove(LOC).set(NEXT, next).set(HOPS, session.getInt(HOPS) + 1).set(REQUESTS, session.getInt(REQUESTS) + 1);
    }

    private boolean atCerner(Session session) {
        String next = session.getString(NEXT);
        return next != null && next.startsWith(plan.simulator().authorizationEndpoint(plan.tenant()));
    }

    /** Closes {@code step} at now; {@code nextStep} names what a failure from here on is blamed on. */
    private static Session stamp(Session session, Step step, String nextStep) {
        long now = System.nanoTime();
        long[] stamps = session.get(STAMPS);
        stamps[step.ordinal()] = now - session.getLong(MARK);
        return session.set(MARK, now).set(STEP, nextStep);
    }

    private static Session fail(Session session, String why) {
        return session.set(WHY, why).markAsFailed();
    }

    /** Session functions must not throw into Gatling: a bug of ours becomes a counted error with its type. */
    private static Session guard(Session session, Function<Session, Session> body) {
        try {
            return body.apply(session);
        } catch (RuntimeException e) {
            return fail(session, session.getString(STEP) + ": " + e.getClass().getSimpleName() + " in the benchmark");
        }
    }

    private static String next(Session session) {
        return session.getString(NEXT);
    }

    private static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = URI.create(url).getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                params.putIfAbsent(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
