package dev.smartbroker.smart.tenant;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.support.SafeText;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The checks every SMART tenant passes on save, whatever its EHR; each problem names the field and the fix. The
 * profile adds its own ({@link SmartProfile#problems}) and decides the allowed client authentication, algorithms and
 * scope conventions.
 */
final class TenantProblems {

    // SMART v1 and v2 resource scopes (docs/ehr/smart-app-launch.md §4; docs/ehr/cerner.md §2.10).
    static final Pattern V1_SCOPE = Pattern.compile("^(user|patient|system)/[A-Za-z]+\\.(read|write)$");
    static final Pattern V2_SCOPE = Pattern.compile("^(user|patient|system)/[A-Za-z]+\\.c?r?u?d?s?(\\?.+)?$");
    private static final Set<String> IDENTITY_SCOPES = Set.of(Smart.SCOPE_OPENID, Smart.SCOPE_FHIR_USER, Smart.SCOPE_PROFILE);

    private TenantProblems() {
    }

    static List<String> of(SmartTenantConfig config) {
        SmartProfile profile = config.profile();
        List<String> problems = new ArrayList<>();
        String env = config.environment();
        if (!ENV_SANDBOX.equals(env) && !ENV_PRODUCTION.equals(env)) {
            problems.add("Environment must be 'sandbox' or 'production'.");
        }
        String rawBase = config.getConfig().get(FHIR_BASE_URL);
        Optional<FhirBaseUrl> base = config.fhirBaseUrl();
        if (rawBase == null || rawBase.isBlank()) {
            problems.add("FHIR base URL is required: copy the tenant's FHIR R4 service root (the iss the EHR sends), such as "
                    + config.profile().fhirBaseExample() + ".");
        } else if (base.isEmpty()) {
            problems.add("FHIR base URL '" + SafeText.bounded(rawBase.trim(), SafeText.LONG) + "' is not a plain http(s) URL"
                    + " with a path (no query, fragment or user info).");
        } else if (!base.get().isHttps() && !base.get().isLoopback()) {
            problems.add("FHIR base URL must use https: client credentials and tokens would travel in clear text (http is"
                    + " accepted only on loopback, for a local simulator).");
        } else if (config.isProduction() && (!base.get().isHttps() || base.get().isLoopback())) {
            problems.add("A production tenant needs an https FHIR base URL on the EHR's hosts; use environment 'sandbox'"
                    + " for a local simulator.");
        }
        String clientId = config.getConfig().get(CLIENT_ID);
        if (clientId == null || clientId.isBlank()) {
            problems.add("Client ID is required: copy it from the EHR's developer console (your app's registration).");
        }
        String auth = config.clientAuthentication();
        if (!profile.clientAuthenticationMethods().contains(auth)) {
            problems.add("Client authentication must be one of " + String.join(", ", profile.clientAuthenticationMethods())
                    + ": the EHR's token endpoint supports no other method.");
        } else if (AUTH_PRIVATE_KEY_JWT.equals(auth)) {
            if (!profile.assertionAlgorithms().contains(config.assertionAlgorithm())) {
                problems.add("Assertion signing algorithm must be one of " + String.join(", ", profile.assertionAlgorithms()) + ".");
            }
        } else {
            String secret = config.getConfig().get(CLIENT_SECRET);
            if (secret == null || secret.isBlank()) {
                problems.add("Client secret is required for client secret authentication (or choose signed JWT"
                        + " authentication); a Keycloak vault reference such as ${vault.ehr_secret} is accepted.");
            }
        }
        problems.addAll(scopeProblems(config));
        String access = config.accessType();
        if (!ACCESS_ONLINE.equals(access) && !ACCESS_OFFLINE.equals(access) && !ACCESS_NONE.equals(access)) {
            problems.add("Type of access must be 'online', 'offline' or 'none'.");
        }
        String pkce = config.pkceMode();
        if (!PKCE_ADVERTISED.equals(pkce) && !PKCE_ALWAYS.equals(pkce) && !PKCE_NEVER.equals(pkce)) {
            problems.add("PKCE must be 'advertised', 'always' or 'never'.");
        }
        timeout(config, CONNECT_TIMEOUT_MILLIS, "Connect timeout", problems);
        timeout(config, READ_TIMEOUT_MILLIS, "Read timeout", problems);
        String interval = config.getConfig().get(MIN_REFRESH_INTERVAL_SECONDS);
        if (interval != null && !interval.isBlank()) {
            try {
                if (Integer.parseInt(interval.trim()) < 0) {
                    problems.add("Minimum seconds between refreshes must not be negative.");
                }
            } catch (NumberFormatException e) {
                problems.add("Minimum seconds between refreshes must be a number of seconds.");
            }
        }
        problems.addAll(backendServicesProblems(config));
        String keycloakScopes = config.getConfig().get("defaultScope");
        if (keycloakScopes != null && !keycloakScopes.isBlank()) {
            problems.add("Keycloak's 'Scopes' field under Advanced settings is not used by SMART tenants: clear it and list the"
                    + " scopes in 'SMART scopes'.");
        }
        if (config.storesTokens()) {
            problems.add("Turn 'Store tokens' off: this provider keeps each launch's tokens encrypted in the launch's"
                    + " session; stored tokens would be written to the database in plain text.");
        }
        return problems;
    }

    private static void timeout(SmartTenantConfig config, String key, String label, List<String> problems) {
        String v = config.getConfig().get(key);
        if (v == null || v.isBlank()) {
            return;
        }
        try {
            int millis = Integer.parseInt(v.trim());
            if (millis < MIN_TIMEOUT_MILLIS || millis > MAX_TIMEOUT_MILLIS) {
                problems.add(label + " must be between " + MIN_TIMEOUT_MILLIS + " and " + MAX_TIMEOUT_MILLIS + " ms.");
            }
        } catch (NumberFormatException e) {
            problems.add(label + " must be a number of milliseconds.");
        }
    }

    private static List<String> scopeProblems(SmartTenantConfig config) {
        SmartProfile profile = config.profile();
        List<String> problems = new ArrayList<>();
        List<String> scopes = config.configuredScopes();
        if (scopes.isEmpty()) {
            problems.add("Scopes are required: list them as registered for the app, e.g. 'openid fhirUser user/Patient.read'.");
            return problems;
        }
        boolean v2 = SMART_V2.equals(config.smartVersion());
        if (!SMART_V1.equals(config.smartVersion()) && !v2) {
            problems.add("SMART version must be 'v1' or 'v2', as registered for the app.");
        }
        for (String scope : scopes) {
            if (scope.contains("*")) {
                problems.add("Scope '" + scope + "' is a wildcard: EHRs may drop wildcard scopes without an error (Cerner"
                        + " does); list each resource scope explicitly.");
            } else if (scope.equals(Smart.SCOPE_ONLINE_ACCESS) || scope.equals(Smart.SCOPE_OFFLINE_ACCESS)) {
                if (!profile.allowsAccessScopesInList()) {
                    problems.add("Remove '" + scope + "' from the scopes and set 'Type of access' instead.");
                }
            } else if (scope.startsWith("system/")) {
                problems.add("Scope '" + scope + "' is a system scope: clinician launches use user/ or patient/ scopes;"
                        + " system scopes belong to backend services.");
            } else if (scope.contains("/") && !scope.startsWith("launch/")) {
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
            }
        }
        boolean identified = scopes.contains(Smart.SCOPE_FHIR_USER)
                || (!profile.requiresFhirUserScope() && scopes.contains(Smart.SCOPE_PROFILE));
        if (!scopes.contains(Smart.SCOPE_OPENID) || !identified) {
            problems.add(profile.requiresFhirUserScope()
                    ? "Scopes must include 'openid fhirUser' (registered for the app too): the clinician is identified by the"
                            + " id_token's fhirUser."
                    : "Scopes must include 'openid' and 'fhirUser' (or 'profile'): the clinician is identified by the id_token.");
        }
        return problems;
    }

    /** Whether a scope is one of SMART's identity, launch or resource scopes. */
    static boolean isSmartScope(String scope) {
        return IDENTITY_SCOPES.contains(scope) || scope.equals(Smart.SCOPE_LAUNCH) || scope.startsWith("launch/")
                || V1_SCOPE.matcher(scope).matches() || V2_SCOPE.matcher(scope).matches()
                || scope.equals(Smart.SCOPE_ONLINE_ACCESS) || scope.equals(Smart.SCOPE_OFFLINE_ACCESS);
    }

    private static List<String> backendServicesProblems(SmartTenantConfig config) {
        List<String> problems = new ArrayList<>();
        for (String entry : config.rawBackendServicesGrants()) {
            if (entry.indexOf(':') <= 0) {
                problems.add("Backend services grant '" + SafeText.bounded(entry, SafeText.LONG)
                        + "' must read '<client id>: <system scope> ...'.");
            }
        }
        boolean v2 = SMART_V2.equals(config.smartVersion());
        config.backendServicesGrants().forEach((client, scopes) -> {
            if (scopes.isEmpty()) {
                problems.add("Backend services grant of client '" + client + "' lists no scope.");
            }
            for (String scope : scopes) {
                if (scope.contains("*")) {
                    problems.add("Backend services scope '" + scope + "' is a wildcard: list each system scope explicitly.");
                } else if (!scope.startsWith("system/")) {
                    problems.add("Backend services scope '" + scope + "' is not a system/ scope.");
                } else if (v2 ? !V2_SCOPE.matcher(scope).matches() || V1_SCOPE.matcher(scope).matches() : !V1_SCOPE.matcher(scope).matches()) {
                    problems.add("Backend services scope '" + scope + "' does not use SMART " + config.smartVersion() + " syntax.");
                }
            }
        });
        if (!config.backendServicesGrants().isEmpty() && config.systemAccountClientId().isEmpty()) {
            problems.add("Backend services grants need the client id the EHR registered for backend services.");
        }
        return problems;
    }

    /**
     * What this tenant would break in its realm: another SMART tenant with the same FHIR base whose app list overlaps
     * (one of the two would silently take the other's launches), and app ids that are no client of the realm.
     */
    static List<String> inRealm(SmartTenantConfig config, KeycloakSession session, RealmModel realm) {
        List<String> problems = new ArrayList<>();
        Set<String> apps = config.launchApps();
        for (String app : apps) {
            if (realm.getClientByClientId(app) == null) {
                problems.add("Apps launched through this registration: '" + SafeText.bounded(app) + "' is not a client of realm "
                        + realm.getName() + ".");
            }
        }
        Optional<FhirBaseUrl> base = config.fhirBaseUrl();
        if (base.isEmpty()) {
            return problems;
        }
        for (SmartTenantConfig other : Tenants.configs(session)) {
            if ((config.getAlias() != null && config.getAlias().equals(other.getAlias())) || !other.fhirBaseUrl().equals(base)) {
                continue;
            }
            Set<String> otherApps = other.launchApps();
            Set<String> shared = new LinkedHashSet<>(apps);
            shared.retainAll(otherApps);
            if (apps.isEmpty() || otherApps.isEmpty() || !shared.isEmpty()) {
                problems.add("Tenant '" + other.getAlias() + "' already serves FHIR base " + base.get().value() + " for "
                        + (otherApps.isEmpty() ? "every app" : "apps " + String.join(", ", otherApps))
                        + ": two registrations of one tenant need disjoint, non-empty 'Apps launched through this"
                        + " registration' lists, so that each launch has exactly one tenant.");
            }
        }
        return problems;
    }
}
