package dev.smartbroker.smart.idp;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.smart.backend.BackendRequests;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.TenantRegistration;
import dev.smartbroker.smart.token.TokenResponse;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.http.simple.SimpleHttpRequest;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.util.JsonSerialization;

/**
 * Checks a tenant's connection before a clinician depends on it, step by step, each with advice an integration
 * engineer can act on in the EHR's developer console: the FHIR base's discovery (and that its endpoints belong to the
 * tenant), the EHR's key set, the client's credentials at the token endpoint, and, when configured, a backend-services
 * token. It never shows a secret or a token; a step that cannot run because an earlier one failed is not reported.
 *
 * <p>The credentials step sends an authorization code no server issued: a token endpoint that accepts the client
 * answers {@code invalid_grant}, one that does not answers {@code invalid_client} (RFC 6749 §5.2). Nothing is granted.
 */
public final class ConnectionCheck {

    private static final Logger LOG = Logger.getLogger(ConnectionCheck.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** One step: what was checked, whether it passed, what was seen, and what to do when it failed. */
    public record Step(String name, boolean ok, String detail, String advice) {
    }

    /** The steps in order; {@link #ok()} when every step passed. */
    public record Result(String tenant, long checkedAtMillis, List<Step> steps) {

        public boolean ok() {
            return steps.stream().allMatch(Step::ok);
        }

        /** The advice of the first failed step, or null. */
        public String advice() {
            return steps.stream().filter(s -> !s.ok()).findFirst().map(Step::advice).orElse(null);
        }

        /** One line for the tenant's page: time, then each step. */
        public String summary() {
            StringBuilder line = new StringBuilder(ok() ? "OK" : "FAILED").append(" at ")
                    .append(TIME.format(Instant.ofEpochMilli(checkedAtMillis))).append(':');
            for (Step step : steps) {
                line.append(' ').append(step.name()).append(step.ok() ? " ✓ " : " ✗ ").append(step.detail()).append(';');
            }
            if (!ok()) {
                line.append(" What to do: ").append(advice());
            }
            return line.toString();
        }
    }

    private final KeycloakSession session;
    private final RealmModel realm;
    private final SmartIdentityProvider provider;

    public ConnectionCheck(KeycloakSession session, RealmModel realm, SmartTenantConfig config, SmartServices services) {
        this.session = session;
        this.realm = realm;
        this.provider = new SmartIdentityProvider(session, config, services);
    }

    public Result run() {
        SmartTenantConfig config = provider.getConfig();
        List<Step> steps = new ArrayList<>();
        long started = Time.currentTimeMillis();
        if (config.fhirBaseUrl().isEmpty()) {
            steps.add(new Step("discovery", false, "no FHIR base URL", "Enter the tenant's FHIR base URL."));
            return new Result(config.getAlias(), started, steps);
        }
        SmartConfiguration discovered;
        try {
            // Fresh: the admin may just have fixed the EHR's side.
            provider.services().discovery().invalidate(config.fhirBaseUrl().get());
            discovered = provider.discover();
            steps.add(new Step("discovery", true, "endpoints from " + discovered.source() + " on "
                    + discovered.authorizationServerOrigin(), null));
        } catch (UpstreamException e) {
            steps.add(new Step("discovery", false, e.getMessage(), switch (e.kind()) {
                case UNREACHABLE, TIMEOUT -> "Check the FHIR base URL against the EHR's registration, and that this server"
                        + " reaches it (proxy, firewall, DNS); the connect and read timeouts bound every call.";
                default -> "The FHIR base URL must be the tenant's FHIR R4 root, whose /.well-known/smart-configuration"
                        + " names endpoints of the same tenant.";
            }));
            return new Result(config.getAlias(), started, steps);
        }
        steps.add(keys(discovered));
        if (discovered.authorizationEndpoint() != null) {
            steps.add(credentials(config));
        }
        if (config.systemAccountClientId().isPresent() && !config.backendServicesGrants().isEmpty()) {
            steps.add(backend(config, discovered));
        }
        Result result = new Result(config.getAlias(), started, steps);
        LOG.infof("Connection check of tenant %s in realm %s: %s", config.getAlias(), realm.getName(), result.ok() ? "ok" : "failed");
        return result;
    }

    private Step keys(SmartConfiguration discovered) {
        String jwksUri = discovered.jwksUri();
        if (jwksUri == null) {
            return new Step("keys", true, "no jwks_uri in discovery; looked up from the issuer at the first launch", null);
        }
        try (SimpleHttpResponse response = UpstreamHttp.client(session, provider.getConfig()).doGet(jwksUri)
                .header("Accept", "application/json").asResponse()) {
            JsonNode keys = response.getStatus() == 200 ? JsonSerialization.readValue(response.asString(), JsonNode.class).path("keys") : null;
            if (keys == null || !keys.isArray() || keys.isEmpty()) {
                return new Step("keys", false, "HTTP " + response.getStatus() + " without keys from " + SafeText.bounded(jwksUri, SafeText.LONG),
                        "The EHR's jwks_uri must serve its id_token keys: id_tokens cannot be verified without them.");
            }
            return new Step("keys", true, keys.size() + (keys.size() == 1 ? " key" : " keys"), null);
        } catch (IOException | RuntimeException e) {
            return new Step("keys", false, "could not read " + SafeText.bounded(jwksUri, SafeText.LONG),
                    "The EHR's jwks_uri must be reachable from this server: id_tokens cannot be verified without its keys.");
        }
    }

    private Step credentials(SmartTenantConfig config) {
        String redirect = TenantRegistration.of(session, realm, config).redirectUri();
        String jwks = TenantRegistration.of(session, realm, config).jwksUrl();
        SimpleHttpRequest probe = provider.credentialsProbe(redirect);
        try (SimpleHttpResponse response = probe.asResponse()) {
            UpstreamException answer = TokenResponse.error(response.getStatus(), response.asString(), UpstreamException.Kind.TOKEN_ERROR);
            return switch (answer.kind()) {
                case INVALID_GRANT -> new Step("client", true, config.clientAuthentication() + " accepted for client '"
                        + config.getClientId() + "'", null);
                case INVALID_CLIENT -> new Step("client", false, "the " + answer.getMessage(),
                        config.profile().clientCredentialsAdvice(config.clientAuthentication(), config.getClientId(), jwks));
                default -> new Step("client", false, "the " + answer.getMessage() + " to a test code",
                        "Unexpected answer of the token endpoint: check the client registration (confidential, this"
                                + " redirect URI: " + redirect + ").");
            };
        } catch (IOException e) {
            UpstreamException failure = UpstreamHttp.classify(e, probe.getUrl());
            return new Step("client", false, failure.getMessage(), "The token endpoint did not answer: check that this server"
                    + " reaches " + SafeText.bounded(probe.getUrl(), SafeText.LONG) + ".");
        }
    }

    private Step backend(SmartTenantConfig config, SmartConfiguration discovered) {
        String account = config.systemAccountClientId().orElseThrow();
        Map.Entry<String, Set<String>> grant = config.backendServicesGrants().entrySet().iterator().next();
        String jwks = TenantRegistration.of(session, realm, config).jwksUrl();
        SimpleHttpRequest request = BackendRequests.clientCredentials(session, config, discovered.tokenEndpoint(), account,
                grant.getValue(), provider.services().settings().assertionLifetimeSeconds());
        try (SimpleHttpResponse response = request.asResponse()) {
            if (response.getStatus() / 100 == 2) {
                TokenResponse token = TokenResponse.parse(response.asString());
                return new Step("backend", true, "system token for " + SafeText.bounded(token.scope() != null ? token.scope()
                        : String.join(" ", grant.getValue()), SafeText.LONG), null);
            }
            UpstreamException answer = TokenResponse.error(response.getStatus(), response.asString(), UpstreamException.Kind.TOKEN_ERROR);
            return new Step("backend", false, "the " + answer.getMessage() + " for " + config.profile().backendClientTerm()
                    + " '" + account + "'", answer.kind() == UpstreamException.Kind.INVALID_CLIENT
                    ? "Register " + jwks + " as the JWKS URL of " + config.profile().backendClientTerm() + " '" + account + "' in "
                            + config.profile().keyRegistrationPlace() + " (the EHR may take minutes to fetch a new key set)."
                    : "Check that " + config.profile().backendClientTerm() + " '" + account + "' is granted "
                            + String.join(" ", grant.getValue()) + " at the EHR.");
        } catch (UpstreamException e) {
            return new Step("backend", false, e.getMessage(), "The token endpoint answered in a way this server cannot read.");
        } catch (IOException e) {
            return new Step("backend", false, UpstreamHttp.classify(e, request.getUrl()).getMessage(),
                    "The token endpoint did not answer: check that this server reaches it.");
        }
    }
}
