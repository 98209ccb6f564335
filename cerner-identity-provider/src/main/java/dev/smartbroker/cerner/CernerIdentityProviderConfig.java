package dev.smartbroker.cerner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.keycloak.broker.oidc.OIDCIdentityProviderConfig;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.utils.KeycloakSessionUtil;

/**
 * Typed view over one Cerner tenant's identity-provider configuration.
 *
 * <p>Admins enter what Cerner's Code Console shows them; everything else is derived. Endpoints are never
 * configured: they come from the tenant's discovery document ({@link #applyDiscovery}) on the per-request copy
 * of this config, never persisted. Getters of {@link OIDCIdentityProviderConfig} that Keycloak's broker code
 * reads are overridden so that the generic OIDC machinery behaves the way Cerner needs whatever the stored map
 * says (no token storage, no nonce, no userinfo call, signature validation always on).
 */
public final class CernerIdentityProviderConfig extends OIDCIdentityProviderConfig {

    // Keys of the config map (admin console, REST, realm import).
    public static final String FHIR_BASE_URL = "fhirBaseUrl";
    public static final String ENVIRONMENT = "environment";
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

    static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 3_000;
    static final int DEFAULT_READ_TIMEOUT_MILLIS = 10_000;
    static final int MIN_TIMEOUT_MILLIS = 100;
    static final int MAX_TIMEOUT_MILLIS = 60_000;
    static final int DEFAULT_CLOCK_SKEW_SECONDS = 30;
    /** Cerner may throttle refreshes more often than once a minute (docs/ehr/cerner.md §2.8). */
    static final int DEFAULT_MIN_REFRESH_INTERVAL_SECONDS = 60;

    // SMART v1 (Cerner authorization spec A.1) and v2 (HL7 scopes-and-launch-context) resource scopes.
    private static final Pattern V1_SCOPE = Pattern.compile("^(user|patient|system)/[A-Za-z]+\\.(read|write)$");
    private static final Pattern V2_SCOPE = Pattern.compile("^(user|patient|system)/[A-Za-z]+\\.c?r?u?d?s?(\\?.+)?$");
    private static final Set<String> IDENTITY_SCOPES = Set.of(Smart.SCOPE_OPENID, Smart.SCOPE_FHIR_USER, Smart.SCOPE_PROFILE);

    // Endpoints from discovery, set on this per-request copy only (see applyDiscovery).
    private SmartConfiguration discovered;

    public CernerIdentityProviderConfig() {
        super();
    }

    public CernerIdentityProviderConfig(IdentityProviderModel model) {
        super(model);
    }

    // ---------------------------------------------------------------- admin-entered values

    public Optional<FhirBaseUrl> fhirBaseUrl() {
        return FhirBaseUrl.parse(getConfig().get(FHIR_BASE_URL));
    }

    public String environment() {
        String env = getConfig().get(ENVIRONMENT);
        return env == null || env.isBlank() ? ENV_PRODUCTION : env.trim().toLowerCase(Locale.ROOT);
    }

    public boolean isProduction() {
        return !ENV_SANDBOX.equals(environment());
    }

    public String clientAuthentication() {
        String v = getConfig().get(CLIENT_AUTHENTICATION);
        return v == null || v.isBlank() ? AUTH_CLIENT_SECRET_BASIC : v.trim();
    }

    public String assertionAlgorithm() {
        String v = getConfig().get(ASSERTION_ALGORITHM);
        return v == null || v.isBlank() ? ALG_RS384 : v.trim();
    }

    public String smartVersion() {
        String v = getConfig().get(SMART_VERSION);
        return v == null || v.isBlank() ? SMART_V1 : v.trim().toLowerCase(Locale.ROOT);
    }

    public String accessType() {
        String v = getConfig().get(ACCESS_TYPE);
        return v == null || v.isBlank() ? ACCESS_ONLINE : v.trim().toLowerCase(Locale.ROOT);
    }

    public String pkceMode() {
        String v = getConfig().get(PKCE_MODE);
        return v == null || v.isBlank() ? PKCE_ADVERTISED : v.trim().toLowerCase(Locale.ROOT);
    }

    /** The scopes the admin listed, in order, without duplicates. */
    public List<String> configuredScopes() {
        String v = getConfig().get(SCOPES);
        if (v == null || v.isBlank()) {
            return List.of();
        }
        return List.copyOf(new LinkedHashSet<>(Arrays.asList(v.trim().split("\\s+"))));
    }

    /**
     * The scope parameter sent to Cerner: {@code launch}, the configured scopes and the access-type scope.
     * Explicit scopes only: Cerner drops wildcards silently (docs/ehr/cerner.md §2.2).
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

    private int intValue(String key, int defaultValue) {
        String v = getConfig().get(key);
        if (v == null || v.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return defaultValue;
        }
    }

    /**
     * The Keycloak clients launched through this Cerner registration; empty means any launchable client. Cerner
     * gives each registered app one client id and one Launch URI, so a tenant with several apps has one identity
     * provider per registration, each naming its apps.
     */
    public Set<String> launchApps() {
        String v = getConfig().get(LAUNCH_APPS);
        Set<String> apps = new LinkedHashSet<>();
        if (v != null) {
            for (String app : v.split("##|[\\s,]+")) {
                if (!app.isBlank()) {
                    apps.add(app.trim());
                }
            }
        }
        return apps;
    }

    // ---------------------------------------------------------------- backend services

    /** The System Account id of Cerner Central (the {@code iss}/{@code sub} of system assertions), if configured. */
    public Optional<String> systemAccountClientId() {
        String v = getConfig().get(SYSTEM_ACCOUNT_CLIENT_ID);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public boolean isSystemTokenCacheEnabled() {
        String v = getConfig().get(SYSTEM_TOKEN_CACHE);
        return v == null || v.isBlank() || Boolean.parseBoolean(v.trim());
    }

    /**
     * Which Keycloak clients may get system tokens for this tenant, and with which scopes. Each entry reads
     * {@code <client id>: <scope> <scope> ...}; entries are separated the way the admin console stores a
     * multivalued field ({@code ##}) or by new lines.
     */
    public java.util.Map<String, Set<String>> backendServicesGrants() {
        java.util.Map<String, Set<String>> grants = new java.util.LinkedHashMap<>();
        String v = getConfig().get(BACKEND_SERVICES_GRANTS);
        if (v == null || v.isBlank()) {
            return grants;
        }
        for (String entry : v.split("##|\\R")) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String client = entry.substring(0, colon).trim();
            Set<String> scopes = new LinkedHashSet<>(Arrays.asList(entry.substring(colon + 1).trim().split("\\s+")));
            scopes.removeIf(String::isBlank);
            grants.computeIfAbsent(client, k -> new LinkedHashSet<>()).addAll(scopes);
        }
        return grants;
    }

    // ---------------------------------------------------------------- discovery

    /** Points this (per-request) config at the endpoints of the tenant's discovery document. */
    void applyDiscovery(SmartConfiguration configuration) {
        this.discovered = configuration;
    }

    SmartConfiguration discovered() {
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
    public String getUserInfoUrl() {
        // Cerner has no OIDC userinfo endpoint; identity comes from the id_token (docs/ehr/cerner.md §2.7).
        return null;
    }

    @Override
    public String getLogoutUrl() {
        // Cerner implements no OIDC logout (docs/ehr/cerner.md §5); refresh tokens are revoked instead.
        return null;
    }

    @Override
    public boolean isBackchannelSupported() {
        return false;
    }

    @Override
    public boolean isDisableUserInfoService() {
        return true;
    }

    @Override
    public boolean isUseJwksUrl() {
        return true;
    }

    @Override
    public boolean isValidateSignature() {
        return true;
    }

    @Override
    public boolean isDisableNonce() {
        // Whether Cerner echoes nonce is UNCONFIRMED (docs/ehr/cerner.md §2.7, §8.2). The id_token arrives
        // straight from the token endpoint over TLS in exchange for our code and PKCE verifier.
        return true;
    }

    @Override
    public String getIssuer() {
        // Cerner's id_token iss differs from the discovery issuer; CernerIdentityProvider checks its form.
        return null;
    }

    @Override
    public Boolean isStoreToken() {
        // Tokens live sealed in the launch's session, never in the federated identity row.
        return false;
    }

    @Override
    public boolean isStoreTokenInSession() {
        return false;
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
        // SMART backend services: aud is the exact token endpoint of the tenant's discovery (hosts/ form).
        return getTokenUrl();
    }

    @Override
    public boolean isJwtX509HeadersEnabled() {
        return false;
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
    public String getPkceMethod() {
        return "S256";
    }

    @Override
    public String getForwardParameters() {
        // Nothing of the app's request is forwarded to Cerner beyond what the SMART launch needs.
        return "";
    }

    @Override
    public boolean isLoginHint() {
        return false;
    }

    @Override
    public boolean isUiLocales() {
        return false;
    }

    @Override
    public boolean isPassMaxAge() {
        return false;
    }

    @Override
    public boolean isAccessTokenJwt() {
        // Cerner access tokens are opaque JWEs: never parse them (docs/ehr/cerner.md §2.6).
        return false;
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
     * Rejects configurations Cerner would silently break on, with a message an admin can act on. Called by
     * Keycloak when the provider is created or updated (admin console, REST) and on realm import.
     */
    @Override
    public void validate(RealmModel realm) {
        List<String> problems = problems();
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        if (session != null && realm != null) {
            problems.addAll(realmProblems(session, realm));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join(" ", problems));
        }
    }

    /**
     * What this tenant would break in its realm: another tenant with the same FHIR base whose app list overlaps (one
     * of the two would silently take the other's launches), and app ids that are no client of the realm.
     */
    List<String> realmProblems(KeycloakSession session, RealmModel realm) {
        List<String> problems = new ArrayList<>();
        Set<String> apps = launchApps();
        for (String app : apps) {
            if (realm.getClientByClientId(app) == null) {
                problems.add("Apps launched through this registration: '" + SafeText.bounded(app) + "' is not a client of realm "
                        + realm.getName() + ".");
            }
        }
        Optional<FhirBaseUrl> base = fhirBaseUrl();
        if (base.isEmpty()) {
            return problems;
        }
        session.identityProviders().getAllStream()
                .filter(other -> CernerIdentityProviderFactory.PROVIDER_ID.equals(other.getProviderId()))
                .filter(other -> getAlias() == null || !getAlias().equals(other.getAlias()))
                .map(CernerIdentityProviderConfig::new)
                .filter(other -> other.fhirBaseUrl().equals(base))
                .forEach(other -> {
                    Set<String> otherApps = other.launchApps();
                    Set<String> shared = new LinkedHashSet<>(apps);
                    shared.retainAll(otherApps);
                    if (apps.isEmpty() || otherApps.isEmpty() || !shared.isEmpty()) {
                        problems.add("Tenant '" + other.getAlias() + "' already serves FHIR base " + base.get().value() + " for "
                                + (otherApps.isEmpty() ? "every app" : "apps " + String.join(", ", otherApps))
                                + ": two registrations of one tenant need disjoint, non-empty 'Apps launched through this"
                                + " registration' lists, so that each launch has exactly one tenant.");
                    }
                });
        return problems;
    }

    /** Every reason this configuration would not work at Cerner; empty when it is valid. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        String env = environment();
        if (!ENV_SANDBOX.equals(env) && !ENV_PRODUCTION.equals(env)) {
            problems.add("Environment must be 'sandbox' or 'production'.");
        }
        String rawBase = getConfig().get(FHIR_BASE_URL);
        Optional<FhirBaseUrl> base = fhirBaseUrl();
        if (rawBase == null || rawBase.isBlank()) {
            problems.add("FHIR base URL is required: copy the tenant's FHIR R4 service root (the iss PowerChart sends),"
                    + " e.g. https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d.");
        } else if (base.isEmpty()) {
            problems.add("FHIR base URL '" + rawBase.trim() + "' is not a plain http(s) URL with a tenant path"
                    + " (no query, fragment or user info).");
        } else if (!base.get().isHttps() && !base.get().isLoopback()) {
            problems.add("FHIR base URL must use https: Cerner's client credentials and tokens would travel in clear"
                    + " text (http is accepted only on loopback, for a local simulator).");
        } else if (isProduction() && (!base.get().isHttps() || base.get().isLoopback())) {
            problems.add("A production tenant needs an https FHIR base URL on Cerner's hosts; use environment"
                    + " 'sandbox' for a local simulator.");
        }
        String clientId = getConfig().get(CLIENT_ID);
        if (clientId == null || clientId.isBlank()) {
            problems.add("Client ID is required: copy it from Code Console (My Applications → your app → Client ID).");
        }
        String auth = clientAuthentication();
        if (AUTH_CLIENT_SECRET_BASIC.equals(auth)) {
            String secret = getConfig().get(CLIENT_SECRET);
            if (secret == null || secret.isBlank()) {
                problems.add("Client secret is required for client secret authentication (or choose signed JWT"
                        + " authentication); a Keycloak vault reference such as ${vault.cerner_secret} is accepted.");
            }
        } else if (AUTH_PRIVATE_KEY_JWT.equals(auth)) {
            String alg = assertionAlgorithm();
            if (!ALG_RS384.equals(alg) && !ALG_ES384.equals(alg)) {
                problems.add("Assertion signing algorithm must be RS384 or ES384, the only ones Cerner accepts.");
            }
        } else {
            problems.add("Client authentication must be '" + AUTH_CLIENT_SECRET_BASIC + "' or '" + AUTH_PRIVATE_KEY_JWT
                    + "': Cerner's token endpoint supports no other method.");
        }
        problems.addAll(scopeProblems());
        String access = accessType();
        if (!ACCESS_ONLINE.equals(access) && !ACCESS_OFFLINE.equals(access) && !ACCESS_NONE.equals(access)) {
            problems.add("Type of access must be 'online', 'offline' or 'none'.");
        }
        String pkce = pkceMode();
        if (!PKCE_ADVERTISED.equals(pkce) && !PKCE_ALWAYS.equals(pkce) && !PKCE_NEVER.equals(pkce)) {
            problems.add("PKCE must be 'advertised', 'always' or 'never'.");
        }
        for (String key : List.of(CONNECT_TIMEOUT_MILLIS, READ_TIMEOUT_MILLIS)) {
            String v = getConfig().get(key);
            if (v != null && !v.isBlank()) {
                try {
                    int millis = Integer.parseInt(v.trim());
                    if (millis < MIN_TIMEOUT_MILLIS || millis > MAX_TIMEOUT_MILLIS) {
                        problems.add(key + " must be between " + MIN_TIMEOUT_MILLIS + " and " + MAX_TIMEOUT_MILLIS + " ms.");
                    }
                } catch (NumberFormatException e) {
                    problems.add(key + " must be a number of milliseconds.");
                }
            }
        }
        String interval = getConfig().get(MIN_REFRESH_INTERVAL_SECONDS);
        if (interval != null && !interval.isBlank()) {
            try {
                if (Integer.parseInt(interval.trim()) < 0) {
                    problems.add(MIN_REFRESH_INTERVAL_SECONDS + " must not be negative.");
                }
            } catch (NumberFormatException e) {
                problems.add(MIN_REFRESH_INTERVAL_SECONDS + " must be a number of seconds.");
            }
        }
        problems.addAll(backendServicesProblems());
        if (Boolean.TRUE.equals(super.isStoreToken())) {
            problems.add("Turn 'Store tokens' off: this provider keeps each launch's Cerner tokens encrypted in the"
                    + " launch's session; stored tokens would be written to the database in plain text.");
        }
        return problems;
    }

    private List<String> backendServicesProblems() {
        List<String> problems = new ArrayList<>();
        String raw = getConfig().get(BACKEND_SERVICES_GRANTS);
        if (raw == null || raw.isBlank()) {
            return problems;
        }
        for (String entry : raw.split("##|\\R")) {
            if (entry.isBlank()) {
                continue;
            }
            if (entry.indexOf(':') <= 0) {
                problems.add("Backend services grant '" + entry.trim() + "' must read '<client id>: <system scope> ...'.");
            }
        }
        boolean v2 = SMART_V2.equals(smartVersion());
        backendServicesGrants().forEach((client, scopes) -> {
            if (scopes.isEmpty()) {
                problems.add("Backend services grant of client '" + client + "' lists no scope.");
            }
            for (String scope : scopes) {
                if (scope.contains("*")) {
                    problems.add("Backend services scope '" + scope + "' is a wildcard: Cerner drops wildcard scopes silently.");
                } else if (!scope.startsWith("system/")) {
                    problems.add("Backend services scope '" + scope + "' is not a system/ scope.");
                } else if (v2 ? !V2_SCOPE.matcher(scope).matches() || V1_SCOPE.matcher(scope).matches() : !V1_SCOPE.matcher(scope).matches()) {
                    problems.add("Backend services scope '" + scope + "' does not use SMART " + smartVersion() + " syntax.");
                }
            }
        });
        if (!backendServicesGrants().isEmpty() && systemAccountClientId().isEmpty()) {
            problems.add("Backend services grants need the System Account client id from Cerner Central.");
        }
        return problems;
    }

    private List<String> scopeProblems() {
        List<String> problems = new ArrayList<>();
        List<String> scopes = configuredScopes();
        if (scopes.isEmpty()) {
            problems.add("Scopes are required: list them as ticked in Code Console, e.g."
                    + " 'openid fhirUser user/Patient.read user/Encounter.read'.");
            return problems;
        }
        boolean v2 = SMART_V2.equals(smartVersion());
        if (!SMART_V1.equals(smartVersion()) && !v2) {
            problems.add("SMART version must be 'v1' or 'v2', as set in Code Console.");
        }
        for (String scope : scopes) {
            if (scope.contains("*")) {
                problems.add("Scope '" + scope + "' is a wildcard: Cerner drops wildcard scopes without an error;"
                        + " list each resource scope explicitly.");
            } else if (scope.equals(Smart.SCOPE_ONLINE_ACCESS) || scope.equals(Smart.SCOPE_OFFLINE_ACCESS)) {
                problems.add("Remove '" + scope + "' from the scopes and set 'Type of access' instead.");
            } else if (scope.startsWith("system/")) {
                problems.add("Scope '" + scope + "' is a system scope: clinician launches use user/ or patient/"
                        + " scopes; system scopes belong to backend services.");
            } else if (scope.equals("launch/patient") || scope.equals("launch/encounter")) {
                problems.add("Scope '" + scope + "' is for standalone launches, which Cerner supports only for the"
                        + " patient persona; an EHR launch sends 'launch', added for you.");
            } else if (scope.contains("/")) {
                boolean isV1 = V1_SCOPE.matcher(scope).matches();
                boolean isV2 = V2_SCOPE.matcher(scope).matches() && !isV1;
                if (!isV1 && !isV2) {
                    problems.add("Scope '" + scope + "' is not a SMART resource scope (context/Type.permission).");
                } else if (v2 && isV1) {
                    problems.add("Scope '" + scope + "' uses SMART v1 syntax but the registration is v2: use e.g. '"
                            + scope.replace(".read", ".rs").replace(".write", ".cud") + "'.");
                } else if (!v2 && isV2) {
                    problems.add("Scope '" + scope + "' uses SMART v2 syntax but the registration is v1: use .read or .write.");
                }
            } else if (!IDENTITY_SCOPES.contains(scope) && !scope.equals(Smart.SCOPE_LAUNCH)) {
                problems.add("Scope '" + scope + "' is not a SMART scope Cerner grants to provider apps.");
            }
        }
        if (!scopes.contains(Smart.SCOPE_OPENID) || !scopes.contains(Smart.SCOPE_FHIR_USER)) {
            problems.add("Scopes must include 'openid fhirUser' (tick them in Code Console too): the clinician is"
                    + " identified by the id_token's fhirUser.");
        }
        return problems;
    }
}
