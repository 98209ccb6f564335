package dev.smartbroker.cerner;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.discovery.EndpointRules;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.token.TokenResponse;

/**
 * Cerner (Oracle Health) Millennium as it really behaves (docs/ehr/cerner.md), on the SMART core:
 * <ul>
 *   <li>the tenant id is the last path segment of the FHIR base ({@code /r4/{tenant}}, §1.1);</li>
 *   <li>authorize, token and revocation endpoints live under {@code /tenants/{tenant}/}, on the FHIR host or a trusted
 *       Cerner authorization host, authorize and token on one host (§1.2, §1.3);</li>
 *   <li>the id_token {@code iss} is {@code …/tenants/{tenant}/oidc/idsps/{idsp}/}, which differs from the discovery
 *       {@code issuer} (§2.7); its keys always carry a {@code kid}; {@code fhirUser} is absolute;</li>
 *   <li>the token response's {@code tenant} names the tenant; nonce is not known to be echoed (§8.2);</li>
 *   <li>client authentication is {@code client_secret_basic} or {@code private_key_jwt} with RS384/ES384 (§2.4, §3.2);</li>
 *   <li>errors carry an {@code error_uri} with a URN (§2.3); the access scopes are set by "Type of access", not listed.</li>
 * </ul>
 */
final class CernerProfile implements SmartProfile {

    static final String PROVIDER_ID = "cerner";
    private static final Set<String> IDENTITY_SCOPES = Set.of(Smart.SCOPE_OPENID, Smart.SCOPE_FHIR_USER, Smart.SCOPE_PROFILE);

    private final Set<String> trustedAuthorizationHosts;

    CernerProfile(Set<String> trustedAuthorizationHosts) {
        this.trustedAuthorizationHosts = Set.copyOf(trustedAuthorizationHosts);
    }

    Set<String> trustedAuthorizationHosts() {
        return trustedAuthorizationHosts;
    }

    @Override
    public String id() {
        return PROVIDER_ID;
    }

    @Override
    public String errorPrefix() {
        return "cerner";
    }

    @Override
    public String ehrName() {
        return "Cerner";
    }

    /** {@code …:smart-v1:grant:launch:invalid-launch-code}: a made-up, stale or reused launch (docs/ehr/cerner.md §2.1). */
    @Override
    public boolean rejectsLaunch(String error, String errorCode) {
        return errorCode != null && errorCode.endsWith(":grant:launch:invalid-launch-code");
    }

    @Override
    public String apiPath() {
        // Cerner accepts RS384 and ES384 assertions only; /cerner/jwks publishes exactly those (docs/ehr/cerner.md §3.2).
        return PROVIDER_ID;
    }

    @Override
    public String clientCredentialsAdvice(String authMethod, String clientId, String jwksUrl) {
        return AUTH_PRIVATE_KEY_JWT.equals(authMethod)
                ? "Cerner rejected the signed client assertion of app '" + clientId + "': in Code Console, the app's JWKS URL"
                        + " must be " + jwksUrl + " (Cerner may take a few minutes to fetch a new key set)."
                : "Cerner rejected app '" + clientId + "' with this secret: in Code Console open My Apps, the app, and copy"
                        + " its Client Id and Client Secret again (a Public app has no secret: it cannot be used here).";
    }

    @Override
    public String keyRegistrationPlace() {
        return "Cerner Central";
    }

    @Override
    public String backendClientTerm() {
        return "System Account";
    }

    @Override
    public String fhirBaseExample() {
        return "https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d";
    }

    @Override
    public String chartName() {
        return "PowerChart";
    }

    @Override
    public String tenantId(SmartTenantConfig config, FhirBaseUrl fhirBase) {
        // Tenant ids are opaque segments, not always UUIDs (docs/ehr/cerner.md §1.1).
        String path = fhirBase.path();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public void checkEndpoints(SmartConfiguration discovered, FhirBaseUrl fhirBase, SmartTenantConfig config) throws UpstreamException {
        String tenantPath = "/tenants/" + tenantId(config, fhirBase) + "/";
        if (discovered.authorizationEndpoint() == null) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "authorization_endpoint missing");
        }
        EndpointRules.check("authorization_endpoint", discovered.authorizationEndpoint(), fhirBase, config, trustedAuthorizationHosts, tenantPath);
        EndpointRules.check("token_endpoint", discovered.tokenEndpoint(), fhirBase, config, trustedAuthorizationHosts, tenantPath);
        if (discovered.revocationEndpoint() != null) {
            EndpointRules.check("revocation_endpoint", discovered.revocationEndpoint(), fhirBase, config, trustedAuthorizationHosts, tenantPath);
        }
        if (discovered.jwksUri() != null) {
            // Cerner's JWKS is shared by all tenants (https://authorization.cerner.com/jwk): host rule only.
            EndpointRules.check("jwks_uri", discovered.jwksUri(), fhirBase, config, trustedAuthorizationHosts, null);
        }
        if (!URI.create(discovered.authorizationEndpoint()).getRawAuthority()
                .equalsIgnoreCase(URI.create(discovered.tokenEndpoint()).getRawAuthority())) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, "authorize and token endpoints are on different hosts");
        }
    }

    @Override
    public boolean allowsBackendServicesOnly() {
        return false;
    }

    @Override
    public String expectedIssuer(SmartTenantConfig config, SmartConfiguration discovered) {
        // Cerner's id_token iss differs from its discovery issuer (docs/ehr/cerner.md §2.7): its form is checked instead.
        return null;
    }

    @Override
    public boolean acceptsIssuer(String issuer, SmartTenantConfig config, SmartConfiguration discovered, FhirBaseUrl fhirBase) {
        if (issuer == null || discovered == null) {
            return false;
        }
        String prefix = discovered.authorizationServerOrigin() + "/tenants/" + tenantId(config, fhirBase) + "/oidc/idsps/";
        return issuer.startsWith(prefix) && issuer.endsWith("/") && issuer.length() > prefix.length() + 1
                && !issuer.substring(prefix.length(), issuer.length() - 1).contains("/");
    }

    @Override
    public boolean verifiesTokensWithoutKid() {
        return false;
    }

    @Override
    public boolean resolvesRelativeFhirUser() {
        return false;
    }

    @Override
    public String fhirUserFallback(TokenResponse tokenResponse, FhirBaseUrl fhirBase) {
        // The token response's user is the bare Practitioner id (docs/ehr/cerner.md §2.5).
        return tokenResponse.user() == null ? null : fhirBase.value() + "/Practitioner/" + tokenResponse.user();
    }

    @Override
    public boolean checksTokenResponseTenant() {
        return true;
    }

    @Override
    public boolean disablesNonce() {
        // Whether Cerner echoes nonce is UNCONFIRMED (docs/ehr/cerner.md §2.7, §8.2). The id_token arrives straight
        // from the token endpoint over TLS in exchange for our code and PKCE verifier.
        return true;
    }

    @Override
    public Set<String> moreInformationHosts(SmartTenantConfig config) {
        return trustedAuthorizationHosts;
    }

    /** The error URN inside a Cerner error_uri ({@code .../errors/<urn>/instances/<uuid>}, docs/ehr/cerner.md §2.3). */
    @Override
    public String errorCode(String errorUri) {
        if (errorUri == null) {
            return null;
        }
        int start = errorUri.indexOf("/errors/");
        if (start < 0) {
            return null;
        }
        int end = errorUri.indexOf("/instances/", start);
        String encoded = errorUri.substring(start + "/errors/".length(), end < 0 ? errorUri.length() : end);
        try {
            String urn = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
            return urn.startsWith("urn:") && urn.length() < 300 ? urn : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public List<String> clientAuthenticationMethods() {
        return List.of(AUTH_CLIENT_SECRET_BASIC, AUTH_PRIVATE_KEY_JWT);
    }

    @Override
    public List<String> assertionAlgorithms() {
        return List.of(ALG_RS384, ALG_ES384);
    }

    @Override
    public boolean allowsAccessScopesInList() {
        return false;
    }

    @Override
    public boolean requiresFhirUserScope() {
        return true;
    }

    @Override
    public List<String> problems(SmartTenantConfig config) {
        List<String> problems = new ArrayList<>();
        for (String scope : new LinkedHashSet<>(config.configuredScopes())) {
            if (scope.equals("launch/patient") || scope.equals("launch/encounter")) {
                problems.add("Scope '" + scope + "' is for standalone launches, which Cerner supports only for the patient"
                        + " persona; an EHR launch sends 'launch', added for you.");
            } else if (!scope.contains("/") && !scope.contains("*") && !IDENTITY_SCOPES.contains(scope) && !scope.equals(Smart.SCOPE_LAUNCH)
                    && !scope.equals(Smart.SCOPE_ONLINE_ACCESS) && !scope.equals(Smart.SCOPE_OFFLINE_ACCESS)) {
                problems.add("Scope '" + scope + "' is not a SMART scope Cerner grants to provider apps.");
            }
        }
        return problems;
    }
}
