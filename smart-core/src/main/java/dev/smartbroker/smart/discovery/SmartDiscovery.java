package dev.smartbroker.smart.discovery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.http.UpstreamHttp;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.http.simple.SimpleHttpResponse;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.jose.jws.JWSInputException;
import org.keycloak.models.KeycloakSession;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.util.JsonSerialization;

/**
 * Reads and caches each tenant's endpoints.
 *
 * <p>Discovery is a cache, not state: one instance lives in each provider factory (one per Keycloak node) and losing it
 * costs one refetch. The cache is keyed by the canonical FHIR base, so two identity providers for the same tenant share
 * an entry. An entry is accepted only when its tenant's profile accepts every endpoint as the tenant's own: otherwise a
 * tampered discovery document could send our client credentials elsewhere (docs/ehr/smart-app-launch.md §11).
 */
public final class SmartDiscovery {

    private static final Logger LOG = Logger.getLogger(SmartDiscovery.class);
    private static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    private final long ttlMillis;
    private final SmartMetrics metrics;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, String> issuerJwks = new ConcurrentHashMap<>();

    private record Entry(SmartConfiguration configuration, long expiresAt) {
    }

    public SmartDiscovery(long ttlMillis) {
        this(ttlMillis, SmartMetrics.off());
    }

    /** @param metrics times every fetch ({@link SmartMetrics.Upstream#DISCOVERY}) */
    public SmartDiscovery(long ttlMillis, SmartMetrics metrics) {
        this.ttlMillis = ttlMillis;
        this.metrics = metrics;
    }

    /** Cached endpoints of the tenant, fetched when missing or stale. */
    public SmartConfiguration get(KeycloakSession session, SmartTenantConfig config) throws UpstreamException {
        FhirBaseUrl base = config.fhirBaseUrl()
                .orElseThrow(() -> new UpstreamException(UpstreamException.Kind.DISCOVERY, "FHIR base URL is not configured"));
        Entry entry = cache.get(base.value());
        if (entry != null && entry.expiresAt() > Time.currentTimeMillis()) {
            return entry.configuration();
        }
        synchronized (locks.computeIfAbsent(base.value(), k -> new Object())) {
            entry = cache.get(base.value());
            if (entry != null && entry.expiresAt() > Time.currentTimeMillis()) {
                return entry.configuration();
            }
            SmartConfiguration fetched = fetch(session, config, base);
            cache.put(base.value(), new Entry(fetched, Time.currentTimeMillis() + ttlMillis));
            return fetched;
        }
    }

    /** Drops a tenant's entry, e.g. after its endpoints failed; the next use refetches. */
    public void invalidate(FhirBaseUrl base) {
        cache.remove(base.value());
    }

    public int size() {
        return cache.size();
    }

    private SmartConfiguration fetch(KeycloakSession session, SmartTenantConfig config, FhirBaseUrl base)
            throws UpstreamException {
        List<String> reasons = new ArrayList<>();
        // Prefer the well-known document and fall back to the CapabilityStatement, as client-js does
        // (docs/ehr/cerner.md §1.4).
        try {
            JsonNode doc = getJson(session, config, base.value() + "/.well-known/smart-configuration", "application/json");
            SmartConfiguration parsed = fromWellKnown(doc, config.profile().allowsBackendServicesOnly());
            config.profile().checkEndpoints(parsed, base, config);
            LOG.debugf("Discovered endpoints of tenant %s from smart-configuration (IdP %s)", config.tenantId(), config.getAlias());
            return parsed;
        } catch (UpstreamException e) {
            if (e.kind() == UpstreamException.Kind.UNREACHABLE || e.kind() == UpstreamException.Kind.TIMEOUT) {
                throw e;
            }
            reasons.add("smart-configuration: " + e.getMessage());
        }
        try {
            JsonNode doc = getJson(session, config, base.value() + "/metadata", "application/fhir+json");
            SmartConfiguration parsed = fromMetadata(doc);
            config.profile().checkEndpoints(parsed, base, config);
            LOG.debugf("Discovered endpoints of tenant %s from /metadata (IdP %s)", config.tenantId(), config.getAlias());
            return parsed;
        } catch (UpstreamException e) {
            if (e.kind() == UpstreamException.Kind.UNREACHABLE || e.kind() == UpstreamException.Kind.TIMEOUT) {
                throw e;
            }
            reasons.add("metadata: " + e.getMessage());
        }
        throw new UpstreamException(UpstreamException.Kind.DISCOVERY, String.join("; ", reasons));
    }

    private JsonNode getJson(KeycloakSession session, SmartTenantConfig config, String url, String accept)
            throws UpstreamException {
        return metrics.upstream(session, config.getAlias(), SmartMetrics.Upstream.DISCOVERY, () -> fetchJson(session, config, url, accept));
    }

    private static JsonNode fetchJson(KeycloakSession session, SmartTenantConfig config, String url, String accept)
            throws UpstreamException {
        try (SimpleHttpResponse response = UpstreamHttp.client(session, config).doGet(url).header("Accept", accept).asResponse()) {
            if (response.getStatus() != 200) {
                throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "HTTP " + response.getStatus() + " from " + url);
            }
            try {
                JsonNode node = JsonSerialization.readValue(response.asString(), JsonNode.class);
                if (node == null || !node.isObject()) {
                    throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "not a JSON object at " + url);
                }
                return node;
            } catch (IOException e) {
                throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "malformed JSON at " + url);
            }
        } catch (UpstreamException e) {
            throw e;
        } catch (IOException e) {
            throw UpstreamHttp.classify(e, url);
        }
    }

    /** @param authorizeOptional whether a tenant without an authorization endpoint (backend services only) is accepted */
    public static SmartConfiguration fromWellKnown(JsonNode doc, boolean authorizeOptional) throws UpstreamException {
        String authorize = text(doc, "authorization_endpoint");
        String token = text(doc, "token_endpoint");
        if (token == null || (authorize == null && !authorizeOptional)) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "authorization_endpoint or token_endpoint missing");
        }
        return new SmartConfiguration(SmartConfiguration.SOURCE_WELL_KNOWN, text(doc, "issuer"), authorize, token,
                text(doc, "revocation_endpoint"), text(doc, "jwks_uri"), strings(doc, "code_challenge_methods_supported"),
                strings(doc, "token_endpoint_auth_methods_supported"), strings(doc, "token_endpoint_auth_signing_alg_values_supported"));
    }

    public static SmartConfiguration fromMetadata(JsonNode capabilityStatement) throws UpstreamException {
        String authorize = null;
        String token = null;
        String revoke = null;
        for (JsonNode rest : capabilityStatement.path("rest")) {
            for (JsonNode extension : rest.path("security").path("extension")) {
                if (!OAUTH_URIS.equals(extension.path("url").asText())) {
                    continue;
                }
                for (JsonNode uri : extension.path("extension")) {
                    String value = uri.path("valueUri").asText(null);
                    switch (uri.path("url").asText()) {
                        case "authorize" -> authorize = value;
                        case "token" -> token = value;
                        case "revoke" -> revoke = value;
                        default -> { }
                    }
                }
            }
        }
        if (authorize == null || token == null) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "no oauth-uris authorize/token extension");
        }
        // The CapabilityStatement carries no JWKS and no PKCE advertisement; the JWKS is then found through the
        // id_token issuer's OpenID configuration (docs/ehr/cerner.md §1.2).
        return new SmartConfiguration(SmartConfiguration.SOURCE_METADATA, null, authorize, token, revoke, null, List.of(), List.of(),
                List.of());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isTextual() || value.asText().isBlank() ? null : value.asText().trim();
    }

    private static List<String> strings(JsonNode node, String field) {
        List<String> values = new ArrayList<>();
        node.path(field).forEach(v -> {
            if (v.isTextual()) {
                values.add(v.asText());
            }
        });
        return values;
    }

    /**
     * The JWKS URL when discovery named none (Cerner's {@code /metadata} lists no JWKS): read from the OpenID configuration
     * of the id_token's issuer, after the profile accepted the issuer as this tenant's (docs/ehr/cerner.md §1.2;
     * docs/ehr/smart-app-launch.md §5). The id_token is not trusted at this point; only its issuer is used to find the
     * keys it must then verify with, and the JWKS URL must pass the profile's endpoint rules.
     */
    public String jwksFromIssuer(KeycloakSession session, SmartTenantConfig config, JWSInput jws) {
        SmartConfiguration configuration = config.discovered();
        FhirBaseUrl base = config.fhirBaseUrl().orElse(null);
        if (configuration == null || base == null) {
            return null;
        }
        String issuer;
        try {
            issuer = jws.readJsonContent(JsonWebToken.class).getIssuer();
        } catch (RuntimeException | JWSInputException e) {
            return null;
        }
        String expected = config.profile().expectedIssuer(config, configuration);
        if (issuer == null || (expected != null ? !expected.equals(issuer) : !config.profile().acceptsIssuer(issuer, config, configuration, base))) {
            return null;
        }
        String cached = issuerJwks.get(issuer);
        if (cached != null) {
            return cached;
        }
        try {
            JsonNode doc = getJson(session, config, issuer + (issuer.endsWith("/") ? "" : "/") + ".well-known/openid-configuration",
                    "application/json");
            String jwksUri = text(doc, "jwks_uri");
            if (jwksUri == null) {
                return null;
            }
            config.profile().checkEndpoints(new SmartConfiguration(configuration.source(), configuration.issuer(),
                    configuration.authorizationEndpoint(), configuration.tokenEndpoint(), configuration.revocationEndpoint(), jwksUri,
                    configuration.codeChallengeMethods(), configuration.authMethods(), configuration.authSigningAlgs()), base, config);
            issuerJwks.put(issuer, jwksUri);
            return jwksUri;
        } catch (UpstreamException e) {
            LOG.warnf("Could not read the OpenID configuration of IdP %s's id_token issuer: %s", config.getAlias(), e.getMessage());
            return null;
        }
    }
}
