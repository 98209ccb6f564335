package dev.smartbroker.smart.metrics;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.smartbroker.smart.http.UpstreamException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.keycloak.Config;
import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The broker's meters, on Keycloak's own Micrometer registry, which Keycloak serves at {@code /metrics} on its
 * management port when started with {@code --metrics-enabled=true} (README, "Metrics"). With metrics off nothing is
 * registered and every call returns at once.
 *
 * <p>Every tag value comes from a bounded set: realm names and identity-provider aliases (admin-made; an alias only
 * when it is a SMART tenant the caller has already found, else {@value #UNKNOWN}), enum names and fixed error codes.
 * Nothing a request or an EHR sent (an {@code iss}, a client id from a URL, an EHR's error text) ever becomes a tag:
 * each would make a new time series per value.
 *
 * <p>One instance lives in each SMART identity-provider factory (a per-node object, like the caches); the meters
 * themselves live in Keycloak's registry, so every instance of a node counts into the same series.
 */
public final class SmartMetrics {

    /** The tag value when no SMART tenant (or realm) is known. */
    public static final String UNKNOWN = "unknown";
    static final String METRICS_ENABLED = "metrics-enabled";

    static final String LAUNCHES = "smart.launches";
    static final String UPSTREAM = "smart.upstream.requests";
    static final String LAUNCH_TOKENS = "smart.launch.tokens";
    static final String SYSTEM_TOKENS = "smart.system.tokens";

    /** The calls the broker makes to an EHR, as the {@code endpoint} tag names them. */
    public enum Upstream {
        DISCOVERY("discovery"),
        JWKS("jwks"),
        TOKEN_CODE("token-code"),
        TOKEN_REFRESH("token-refresh"),
        TOKEN_CLIENT_CREDENTIALS("token-client-credentials"),
        REVOCATION("revocation");

        private final String tag;

        Upstream(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /** One call to an EHR. */
    @FunctionalInterface
    public interface Call<T> {
        T run() throws UpstreamException;
    }

    /** What owns a node's instance: the SMART identity-provider factories. */
    public interface Source {
        SmartMetrics metrics();
    }

    private static final SmartMetrics OFF = new SmartMetrics(null);

    private final Meter.MeterProvider<Counter> launches;
    private final Meter.MeterProvider<Timer> upstream;
    private final Meter.MeterProvider<Counter> launchTokens;
    private final Meter.MeterProvider<Counter> systemTokens;

    private SmartMetrics(MeterRegistry registry) {
        if (registry == null) {
            launches = null;
            upstream = null;
            launchTokens = null;
            systemTokens = null;
            return;
        }
        launches = Counter.builder(LAUNCHES)
                .description("EHR launches that ended, by realm, tenant (idp) and outcome (success or the problem)")
                .withRegistry(registry);
        upstream = Timer.builder(UPSTREAM)
                .description("Calls to EHR tenants, by realm, tenant (idp), endpoint and outcome (ok or the failure kind)")
                .serviceLevelObjectives(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10))
                .withRegistry(registry);
        launchTokens = Counter.builder(LAUNCH_TOKENS)
                .description("Calls of the launch-token API, by realm, tenant (idp) and result (cached, refreshed or the error code)")
                .withRegistry(registry);
        systemTokens = Counter.builder(SYSTEM_TOKENS)
                .description("Calls of the system-token API, by realm, tenant (idp) and result (cached, fetched or the error code)")
                .withRegistry(registry);
    }

    /** The meters for a factory's {@code init}: on Keycloak's registry when {@code metrics-enabled}, else none. */
    public static SmartMetrics from(Config.Scope config) {
        boolean enabled;
        try {
            enabled = config != null && Boolean.TRUE.equals(config.root().getBoolean(METRICS_ENABLED, false));
        } catch (RuntimeException e) {
            enabled = false;
        }
        return enabled ? new SmartMetrics(Metrics.globalRegistry) : OFF;
    }

    /** Meters on {@code registry} (tests). */
    public static SmartMetrics on(MeterRegistry registry) {
        return new SmartMetrics(registry);
    }

    /** No meters. */
    public static SmartMetrics off() {
        return OFF;
    }

    /** This node's meters, from the SMART identity-provider factories; none when there is no such factory. */
    public static SmartMetrics of(KeycloakSession session) {
        try {
            Optional<SmartMetrics> found = session.getKeycloakSessionFactory().getProviderFactoriesStream(IdentityProvider.class)
                    .filter(Source.class::isInstance)
                    .map(factory -> ((Source) factory).metrics())
                    .filter(metrics -> metrics != null && metrics.enabled())
                    .findFirst();
            return found.orElse(OFF);
        } catch (RuntimeException e) {
            return OFF;
        }
    }

    public boolean enabled() {
        return launches != null;
    }

    /**
     * A launch succeeded: the EHR's callback was accepted and the app's login goes on.
     *
     * @param idpAlias the alias of the SMART tenant concerned, already found in the realm
     */
    public void launchSucceeded(KeycloakSession session, String idpAlias) {
        launch(session, idpAlias, "success");
    }

    /**
     * A launch ended on an error page: the outcome is the problem's name in lower case ({@code unknown_tenant}).
     *
     * @param idpAlias the alias of the SMART tenant concerned, already found in the realm; null when none is known
     */
    public void launchRefused(KeycloakSession session, String idpAlias, Enum<?> problem) {
        launch(session, idpAlias, problem.name().toLowerCase(Locale.ROOT));
    }

    private void launch(KeycloakSession session, String idpAlias, String outcome) {
        if (launches != null) {
            launches.withTags("realm", realm(session), "idp", tag(idpAlias), "outcome", outcome).increment();
        }
    }

    /**
     * Runs one call to an EHR and times it, tagged with its outcome: {@code ok}, the {@link UpstreamException.Kind} it
     * failed with, or {@code error} for anything unexpected.
     */
    public <T> T upstream(KeycloakSession session, String idpAlias, Upstream endpoint, Call<T> call) throws UpstreamException {
        if (upstream == null) {
            return call.run();
        }
        long start = System.nanoTime();
        String outcome = "error";
        try {
            T result = call.run();
            outcome = "ok";
            return result;
        } catch (UpstreamException e) {
            outcome = e.kind().name().toLowerCase(Locale.ROOT);
            throw e;
        } finally {
            upstream.withTags("realm", realm(session), "idp", tag(idpAlias), "endpoint", endpoint.tag(), "outcome", outcome)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A launch-token call was answered: {@code cached}, {@code refreshed}, or the API's error code.
     *
     * @param idpAlias the launch's tenant, when known
     */
    public void launchToken(KeycloakSession session, String idpAlias, String result) {
        if (launchTokens != null) {
            launchTokens.withTags("realm", realm(session), "idp", tag(idpAlias), "result", result).increment();
        }
    }

    /**
     * A system-token call was answered: {@code cached}, {@code fetched}, or the API's error code.
     *
     * @param idpAlias the tenant, once the request's {@code tenant} was found to be one; never the parameter as sent
     */
    public void systemToken(KeycloakSession session, String idpAlias, String result) {
        if (systemTokens != null) {
            systemTokens.withTags("realm", realm(session), "idp", tag(idpAlias), "result", result).increment();
        }
    }

    private static String tag(String value) {
        return value == null || value.isBlank() ? UNKNOWN : value;
    }

    private static String realm(KeycloakSession session) {
        try {
            RealmModel realm = session == null ? null : session.getContext().getRealm();
            return realm == null ? UNKNOWN : realm.getName();
        } catch (RuntimeException e) {
            return UNKNOWN;
        }
    }
}
