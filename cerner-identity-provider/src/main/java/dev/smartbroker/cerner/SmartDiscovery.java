package dev.smartbroker.cerner;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
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
 * <p>Discovery is a cache, not state: one instance lives in the provider factory (one per Keycloak node) and
 * losing it costs one refetch. The cache is keyed by the canonical FHIR base, so two identity providers for the
 * same tenant share an entry. An entry is accepted only when every endpoint belongs to the same tenant as
 * {@code iss}: otherwise a tampered discovery document could send our client credentials elsewhere
 * (docs/ehr/cerner.md §4, "Malicious iss").
 */
final class SmartDiscovery {

    private static final Logger LOG = Logger.getLogger(SmartDiscovery.class);
    private static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    private final long ttlMillis;
    private final Set<String> trustedAuthorizationHosts;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, String> issuerJwks = new ConcurrentHashMap<>();

    private record Entry(SmartConfiguration configuration, long expiresAt) {
    }

    SmartDiscovery(long ttlMillis, Set<String> trustedAuthorizationHosts) {
        this.ttlMillis = ttlMillis;
        this.trustedAuthorizationHosts = Set.copyOf(trustedAuthorizationHosts);
    }

    /** Cached endpoints of the tenant, fetched when missing or stale. */
    SmartConfiguration get(KeycloakSession session, CernerIdentityProviderConfig config) throws CernerException {
        FhirBaseUrl base = config.fhirBaseUrl()
                .orElseThrow(() -> new CernerException(CernerException.Kind.DISCOVERY, "FHIR base URL is not configured"));
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
    void invalidate(FhirBaseUrl base) {
        cache.remove(base.value());
    }

    int size() {
        return cache.size();
    }

    private SmartConfiguration fetch(KeycloakSession session, CernerIdentityProviderConfig config, FhirBaseUrl base)
            throws CernerException {
        List<String> reasons = new ArrayList<>();
        // Prefer the well-known document and fall back to the CapabilityStatement, as client-js does
        // (docs/ehr/cerner.md §1.4).
        try {
            JsonNode doc = getJson(session, config, base.value() + "/.well-known/smart-configuration", "application/json");
            SmartConfiguration parsed = fromWellKnown(doc);
            validate(parsed, base, config);
            LOG.debugf("Discovered endpoints of tenant %s from smart-configuration (IdP %s)", base.tenantId(), config.getAlias());
            return parsed;
        } catch (CernerException e) {
            if (e.kind() == CernerException.Kind.UNREACHABLE || e.kind() == CernerException.Kind.TIMEOUT) {
                throw e;
            }
            reasons.add("smart-configuration: " + e.getMessage());
        }
        try {
            JsonNode doc = getJson(session, config, base.value() + "/metadata", "application/fhir+json");
            SmartConfiguration parsed = fromMetadata(doc);
            validate(parsed, base, config);
            LOG.debugf("Discovered endpoints of tenant %s from /metadata (IdP %s)", base.tenantId(), config.getAlias());
            return parsed;
        } catch (CernerException e) {
            if (e.kind() == CernerException.Kind.UNREACHABLE || e.kind() == CernerException.Kind.TIMEOUT) {
                throw e;
            }
            reasons.add("metadata: " + e.getMessage());
        }
        throw new CernerException(CernerException.Kind.DISCOVERY, String.join("; ", reasons));
    }

    private static JsonNode getJson(KeycloakSession session, CernerIdentityProviderConfig config, String url, String accept)
            throws CernerException {
        try (SimpleHttpResponse response = CernerHttp.client(session, config).doGet(url).header("Accept", accept).asResponse()) {
            if (response.getStatus() != 200) {
                throw new CernerException(CernerException.Kind.DISCOVERY, "HTTP " + response.getStatus() + " from " + url);
            }
            try {
                JsonNode node = JsonSerialization.readValue(response.asString(), JsonNode.class);
                if (node == null || !node.isObject()) {
                    throw new CernerException(CernerException.Kind.DISCOVERY, "not a JSON object at " + url);
                }
                return node;
            } catch (IOException e) {
                throw new CernerException(CernerException.Kind.DISCOVERY, "malformed JSON at " + url);
            }
        } catch (CernerException e) {
            throw e;
        } catch (IOException e) {
            throw CernerHttp.classify(e, url);
        }
    }

    static SmartConfiguration fromWellKnown(JsonNode doc) throws CernerException {
        String authorize = text(doc, "authorization_endpoint");
        String token = text(doc, "token_endpoint");
        if (authorize == null || token == null) {
            throw new CernerException(CernerException.Kind.DISCOVERY, "authorization_endpoint or token_endpoint missing");
        }
        return new SmartConfiguration(SmartConfiguration.SOURCE_WELL_KNOWN, authorize, token, text(doc, "revocation_endpoint"),
                text(doc, "jwks_uri"), strings(doc, "code_challenge_methods_supported"),
                strings(doc, "token_endpoint_auth_methods_supported"), strings(doc, "token_endpoint_auth_signing_alg_values_supported"));
    }

    static SmartConfiguration fromMetadata(JsonNode capabilityStatement) throws CernerException {
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
            throw new CernerException(CernerException.Kind.DISCOVERY, "no oauth-uris authorize/token extension");
        }
        // The CapabilityStatement carries no JWKS and no PKCE advertisement; the JWKS is then found through the
        // id_token issuer's OpenID configuration (docs/ehr/cerner.md §1.2).
        return new SmartConfiguration(SmartConfiguration.SOURCE_METADATA, authorize, token, revoke, null, List.of(), List.of(), List.of());
    }

    /** Rejects endpoints that do not belong to the same tenant, or that would leave TLS where it is required. */
    void validate(SmartConfiguration configuration, FhirBaseUrl base, CernerIdentityProviderConfig config) throws CernerException {
        String tenantPath = "/tenants/" + base.tenantId() + "/";
        checkEndpoint("authorization_endpoint", configuration.authorizationEndpoint(), base, config, tenantPath);
        checkEndpoint("token_endpoint", configuration.tokenEndpoint(), base, config, tenantPath);
        if (configuration.revocationEndpoint() != null) {
            checkEndpoint("revocation_endpoint", configuration.revocationEndpoint(), base, config, tenantPath);
        }
        if (configuration.jwksUri() != null) {
            // Cerner's JWKS is shared by all tenants (https://authorization.cerner.com/jwk): host rule only.
            checkEndpoint("jwks_uri", configuration.jwksUri(), base, config, null);
        }
        if (!URI.create(configuration.authorizationEndpoint()).getRawAuthority()
                .equalsIgnoreCase(URI.create(configuration.tokenEndpoint()).getRawAuthority())) {
            throw new CernerException(CernerException.Kind.DISCOVERY, "authorize and token endpoints are on different hosts");
        }
    }

    private void checkEndpoint(String name, String value, FhirBaseUrl base, CernerIdentityProviderConfig config,
                               String requiredPathPrefix) throws CernerException {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new CernerException(CernerException.Kind.DISCOVERY, name + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null || host.isEmpty()) {
            throw new CernerException(CernerException.Kind.DISCOVERY, name + " is not a plain URL");
        }
        boolean loopback = FhirBaseUrl.isLoopbackHost(host);
        if (!"https".equals(scheme) && !("http".equals(scheme) && loopback && !config.isProduction())) {
            throw new CernerException(CernerException.Kind.DISCOVERY, name + " does not use https");
        }
        String authority = uri.getRawAuthority().toLowerCase(Locale.ROOT);
        boolean sameHostAsIss = authority.equals(base.authority().toLowerCase(Locale.ROOT));
        if (!sameHostAsIss && !trustedAuthorizationHosts.contains(host)) {
            throw new CernerException(CernerException.Kind.DISCOVERY, name + " host " + host
                    + " is neither the FHIR host nor a trusted Cerner authorization host");
        }
        if (requiredPathPrefix != null && (uri.getRawPath() == null || !uri.getRawPath().startsWith(requiredPathPrefix))) {
            throw new CernerException(CernerException.Kind.DISCOVERY, name + " does not belong to tenant " + base.tenantId());
        }
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
     * The JWKS URL when discovery came from {@code /metadata}, which lists none: read from the OpenID configuration
     * of the id_token's issuer, after checking that the issuer is this tenant's (docs/ehr/cerner.md §1.2, §4 rule 8).
     * The id_token is not trusted at this point; only its issuer is used to find the keys it must then verify with.
     */
    String jwksFromIssuer(KeycloakSession session, CernerIdentityProviderConfig config, JWSInput jws) {
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
        String prefix = configuration.authorizationServerOrigin() + "/tenants/" + base.tenantId() + "/oidc/idsps/";
        if (issuer == null || !issuer.startsWith(prefix) || !issuer.endsWith("/")) {
            return null;
        }
        String cached = issuerJwks.get(issuer);
        if (cached != null) {
            return cached;
        }
        try {
            JsonNode doc = getJson(session, config, issuer + ".well-known/openid-configuration", "application/json");
            String jwksUri = text(doc, "jwks_uri");
            if (jwksUri == null) {
                return null;
            }
            checkEndpoint("jwks_uri", jwksUri, base, config, null);
            issuerJwks.put(issuer, jwksUri);
            return jwksUri;
        } catch (CernerException e) {
            LOG.warnf("Could not read the OpenID configuration of IdP %s's id_token issuer: %s", config.getAlias(), e.getMessage());
            return null;
        }
    }
}
