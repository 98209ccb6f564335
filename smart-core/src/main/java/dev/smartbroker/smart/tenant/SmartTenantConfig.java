package dev.smartbroker.smart.tenant;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import org.keycloak.broker.oidc.OIDCIdentityProviderConfig;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.utils.KeycloakSessionUtil;

/**
 * Typed view over one SMART tenant's identity-provider configuration, for every profile.
 *
 * <p>Admins enter what the EHR's developer console shows them; everything else is derived. Endpoints are never
 * configured: they come from the tenant's discovery document ({@link #applyDiscovery}) on the per-request copy of
 * this config, never persisted. Getters of {@link OIDCIdentityProviderConfig} that Keycloak's broker code reads are
 * overridden so that the generic OIDC machinery behaves the way a SMART EHR launch needs whatever the stored map says
 * (no token storage, no userinfo call, signature validation always on); where EHRs differ, the profile decides.
 */
public class SmartTenantConfig extends FixedOidcSwitches {

    /** Between the entries of a list field: the admin console's {@code ##}, white space or commas. */
    private static final Pattern LIST_SEPARATORS = Pattern.compile("##|[\\s,]+");
    /** Between scopes. A config is built for every request that touches the tenant: compiled once, not per split. */
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern ENTRY_SEPARATORS = Pattern.compile("##|\\R");

    // Keys of the config map (admin console, REST, realm import), shared by every profile.
    public static final String FHIR_BASE_URL = "fhirBaseUrl";
    public static final String ENVIRONMENT = "environment";
    public static final String TENANT_ID = "tenantId";
    public static final String AUTHORIZATION_HOSTS = "authorizationHosts";
    public static final String CLIENT_AUTHENTICATION = "clientAuthentication";
    public static final String ASSERTION_ALGORITHM = "assertionAlgorithm";
    public static final String SCOPES = "smartScopes";
    public static final String SMART_VERSION = "smartVersion";
    public static final String ACCESS_TYPE = "accessType";
    public static final String PKCE_MODE = "pkceMode";
    public static final String CONNECT_TIMEOUT_MILLIS = "connectTimeoutMillis";
    public static final String READ_TIMEOUT_MILLIS = "readTimeoutMillis";
    public static final String MIN_REFRESH_INTERVAL_SECONDS = "minRefreshIntervalSeconds";
    public static final String LAUNCH_APPS = "launchApps";
    public static final String SYSTEM_ACCOUNT_CLIENT_ID = "systemAccountClientId";
    public static final String BACKEND_SERVICES_GRANTS = "backendServicesGrants";
    public static final String SYSTEM_TOKEN_CACHE = "systemTokenCache";
    public static final String CLIENT_ID = "clientId";
    public static final String CLIENT_SECRET = "clientSecret";

    public static final String ENV_SANDBOX = "sandbox";
    public static final String ENV_PRODUCTION = "production";
    public static final String AUTH_CLIENT_SECRET_BASIC = OIDCLoginProtocol.CLIENT_SECRET_BASIC;
    public static final String AUTH_CLIENT_SECRET_POST = OIDCLoginProtocol.CLIENT_SECRET_POST;
    public static final String AUTH_PRIVATE_KEY_JWT = OIDCLoginProtocol.PRIVATE_KEY_JWT;
    public static final String ALG_RS384 = "RS384";
    public static final String ALG_ES384 = "ES384";
    public static final String SMART_V1 = "v1";
    public static final String SMART_V2 = "v2";
    public static final String ACCESS_ONLINE = "online";
    public static final String ACCESS_OFFLINE = "offline";
    public static final String ACCESS_NONE = "none";
    public static final String PKCE_ADVERTISED = "advertised";
    public static final String PKCE_ALWAYS = "always";
    public static final String PKCE_NEVER = "never";

    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 3_000;
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 10_000;
    public static final int MIN_TIMEOUT_MILLIS = 100;
    public static final int MAX_TIMEOUT_MILLIS = 60_000;
    static final int DEFAULT_CLOCK_SKEW_SECONDS = 30;
    /** EHRs may throttle refreshes more often than once a minute (docs/ehr/cerner.md §2.8). */
    public static final int DEFAULT_MIN_REFRESH_INTERVAL_SECONDS = 60;

    private final transient SmartProfile profile;
    // Endpoints from discovery, set on this per-request copy only (see applyDiscovery).
    private transient SmartConfiguration discovered;

    public SmartTenantConfig(SmartProfile profile) {
        super();
        this.profile = profile;
    }

    public SmartTenantConfig(IdentityProviderModel model, SmartProfile profile) {
        super(model);
        this.profile = profile;
    }

    public SmartProfile profile() {
        return profile;
    }

    // ---------------------------------------------------------------- admin-entered values

    public Optional<FhirBaseUrl> fhirBaseUrl() {
        return FhirBaseUrl.parse(getConfig().get(FHIR_BASE_URL));
    }

    /** The tenant id claims, users and events carry, as the profile derives or the admin configured it. */
    public String tenantId() {
        return fhirBaseUrl().map(base -> profile.tenantId(this, base)).orElse(null);
    }

    /** The tenant id the admin configured, if any. */
    public Optional<String> configuredTenantId() {
        return text(TENANT_ID);
    }

    /** Hosts besides the FHIR host whose endpoints this tenant's discovery may name, lower case. */
    public Set<String> authorizationHosts() {
        return words(AUTHORIZATION_HOSTS, LIST_SEPARATORS, true);
    }

    public String environment() {
        return text(ENVIRONMENT).map(v -> v.toLowerCase(Locale.ROOT)).orElse(ENV_PRODUCTION);
    }

    public boolean isProduction() {
        return !ENV_SANDBOX.equals(environment());
    }

    public String clientAuthentication() {
        return text(CLIENT_AUTHENTICATION).orElse(AUTH_CLIENT_SECRET_BASIC);
    }

    public String assertionAlgorithm() {
        return text(ASSERTION_ALGORITHM).orElse(ALG_RS384);
    }

    public String smartVersion() {
        return text(SMART_VERSION).map(v -> v.toLowerCase(Locale.ROOT)).orElse(SMART_V1);
    }

    public String accessType() {
        return text(ACCESS_TYPE).map(v -> v.toLowerCase(Locale.ROOT)).orElse(ACCESS_ONLINE);
    }

    public String pkceMode() {
        return text(PKCE_MODE).map(v -> v.toLowerCase(Locale.ROOT)).orElse(PKCE_ADVERTISED);
    }

    /** The scopes the admin listed, in order, without duplicates. */
    public List<String> configuredScopes() {
        return List.copyOf(words(SCOPES, SPACES, false));
    }

    /**
     * The scope parameter sent to the EHR: {@code launch}, the configured scopes and the access-type scope. Explicit
     * scopes only: some EHRs drop wildcards silently (docs/ehr/cerner.md §2.2).
     */
    public String requestedScope() {
        Set<String> scopes = new LinkedHashSet<>();
        scopes.add(Smart.SCOPE_LAUNCH);
        scopes.addAll(configuredScopes());
        switch (accessType()) {
            case ACCESS_ONLINE -> scopes.add(Smart.SCOPE_ONLINE_ACCESS);
            case ACCESS_OFFLINE -> scopes.add(Smart.SCOPE_OFFLINE_ACCESS);
            default -> { }
        }
        return String.join(" ", scopes);
    }

    public int connectTimeoutMillis() {
        return intValue(CONNECT_TIMEOUT_MILLIS, DEFAULT_CONNECT_TIMEOUT_MILLIS);
    }

    public int readTimeoutMillis() {
        return intValue(READ_TIMEOUT_MILLIS, DEFAULT_READ_TIMEOUT_MILLIS);
    }

    /** No launch's tokens are refreshed upstream more often than this. */
    public int minRefreshIntervalSeconds() {
        return Math.max(0, intValue(MIN_REFRESH_INTERVAL_SECONDS, DEFAULT_MIN_REFRESH_INTERVAL_SECONDS));
    }

    /**
     * The Keycloak clients launched through this registration; empty means any launchable client. An EHR gives each
     * registered app one client id and one Launch URI, so a tenant with several apps has one identity provider per
     * registration, each naming its apps.
     */
    public Set<String> launchApps() {
        return words(LAUNCH_APPS, LIST_SEPARATORS, false);
    }

    /** The client id of backend-services assertions (Cerner: the System Account), if configured. */
    public Optional<String> systemAccountClientId() {
        return text(SYSTEM_ACCOUNT_CLIENT_ID);
    }

    public boolean isSystemTokenCacheEnabled() {
        return text(SYSTEM_TOKEN_CACHE).map(Boolean::parseBoolean).orElse(true);
    }

    /**
     * Which Keycloak clients may get system tokens for this tenant, and with which scopes. Each entry reads
     * {@code <client id>: <scope> <scope> ...}; entries are separated the way the admin console stores a multivalued
     * field ({@code ##}) or by new lines.
     */
    public Map<String, Set<String>> backendServicesGrants() {
        Map<String, Set<String>> grants = new LinkedHashMap<>();
        for (String entry : rawBackendServicesGrants()) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            Set<String> scopes = new LinkedHashSet<>(Arrays.asList(SPACES.split(entry.substring(colon + 1).trim())));
            scopes.removeIf(String::isBlank);
            grants.computeIfAbsent(entry.substring(0, colon).trim(), k -> new LinkedHashSet<>()).addAll(scopes);
        }
        return grants;
    }

    /** The grant entries as entered, blank ones left out. */
    List<String> rawBackendServicesGrants() {
        String v = getConfig().get(BACKEND_SERVICES_GRANTS);
        return v == null ? List.of() : Arrays.stream(ENTRY_SEPARATORS.split(v)).filter(e -> !e.isBlank()).map(String::trim).toList();
    }

    private Optional<String> text(String key) {
        String v = getConfig().get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private Set<String> words(String key, Pattern separators, boolean lowerCase) {
        Set<String> words = new LinkedHashSet<>();
        text(key).ifPresent(v -> {
            for (String word : separators.split(v)) {
                if (!word.isBlank()) {
                    words.add(lowerCase ? word.trim().toLowerCase(Locale.ROOT) : word.trim());
                }
            }
        });
        return words;
    }

    int intValue(String key, int defaultValue) {
        try {
            return text(key).map(Integer::parseInt).orElse(defaultValue);
        } catch (NumberFormatException e) {
            return defaultValue;
        }
    }

    // ---------------------------------------------------------------- discovery

    /** Points this (per-request) config at the endpoints of the tenant's discovery document. */
    public void applyDiscovery(SmartConfiguration configuration) {
        this.discovered = configuration;
    }

    public SmartConfiguration discovered() {
        return discovered;
    }

    // ---------------------------------------------------------------- what Keycloak's OIDC broker reads

    @Override
    public String getAuthorizationUrl() {
        return discovered == null ? null : discovered.authorizationEndpoint();
    }

    @Override
    public String getTokenUrl() {
        return discovered == null ? null : discovered.tokenEndpoint();
    }

    @Override
    public String getJwksUrl() {
        return discovered == null ? null : discovered.jwksUri();
    }

    @Override
    public boolean isDisableNonce() {
        return profile.disablesNonce();
    }

    @Override
    public String getIssuer() {
        // Keycloak's broker checks the id_token iss against this when set; profiles without a fixed issuer (Cerner's
        // differs from its discovery issuer) check the issuer's form themselves.
        return profile.expectedIssuer(this, discovered);
    }

    /** The issuer the admin configured for id_tokens, if any (Keycloak's own {@code issuer} key). */
    public Optional<String> configuredIssuer() {
        return text(ISSUER);
    }


    @Override
    public String getDefaultScope() {
        return requestedScope();
    }

    @Override
    public String getClientAuthMethod() {
        return clientAuthentication();
    }

    @Override
    public String getClientAssertionSigningAlg() {
        return assertionAlgorithm();
    }

    @Override
    public String getClientAssertionAudience() {
        // SMART: aud is the exact token endpoint of the tenant's discovery (Cerner's hosts/ form included).
        return getTokenUrl();
    }

    @Override
    public boolean isPkceEnabled() {
        return switch (pkceMode()) {
            case PKCE_ALWAYS -> true;
            case PKCE_NEVER -> false;
            default -> discovered != null && discovered.supportsS256();
        };
    }

    @Override
    public int getAllowedClockSkew() {
        String v = getConfig().get(ALLOWED_CLOCK_SKEW);
        if (v == null || v.isBlank()) {
            return DEFAULT_CLOCK_SKEW_SECONDS;
        }
        return super.getAllowedClockSkew();
    }

    // ---------------------------------------------------------------- validation on save and import

    /**
     * Rejects configurations the EHR would silently break on, with a message an admin can act on. Called by Keycloak
     * when the provider is created or updated (admin console, REST) and on realm import.
     */
    @Override
    public void validate(RealmModel realm) {
        List<String> problems = problems();
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        if (session != null && realm != null) {
            problems.addAll(TenantProblems.inRealm(this, session, realm));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join(" ", problems));
        }
        if (session != null && realm != null) {
            TenantRegistration.applyOnSave(this, session, realm);
            SmartTenantType type = Tenants.types(session).get(getProviderId());
            if (type != null && TenantRegistration.isAdminRequest(session)) {
                type.checkOnSave(this, session, realm);
            }
        }
    }

    /** Every reason this configuration would not work; empty when it is valid. */
    public List<String> problems() {
        List<String> problems = TenantProblems.of(this);
        problems.addAll(profile.problems(this));
        return problems;
    }
}
