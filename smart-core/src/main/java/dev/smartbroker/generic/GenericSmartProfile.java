package dev.smartbroker.generic;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.discovery.EndpointRules;
import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.token.TokenResponse;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

/**
 * Any EHR that follows SMART App Launch 2.x as written (docs/ehr/smart-app-launch.md):
 * <ul>
 *   <li>the id_token {@code iss} is the discovery {@code issuer}, or the issuer the admin configured (§5);</li>
 *   <li>endpoints may live anywhere on the FHIR host or on the hosts the admin lists for the tenant (§3, §11);</li>
 *   <li>an id_token without {@code kid} is verified only with the one key of its algorithm the JWKS holds;</li>
 *   <li>a relative {@code fhirUser} is resolved against the FHIR base (§5);</li>
 *   <li>a refresh that returns a new refresh token replaces the old one (§6); revocation only when discovery lists it;</li>
 *   <li>client authentication as SMART allows: {@code client_secret_basic}, {@code client_secret_post},
 *       {@code private_key_jwt} with RS384 or ES384 (and RS256, ES256 for servers that take them) (§7, §8);</li>
 *   <li>the tenant id is the one the admin configured, else the identity provider's alias;</li>
 *   <li>a tenant may serve backend services only (no authorization endpoint in its discovery).</li>
 * </ul>
 */
final class GenericSmartProfile implements SmartProfile {

    static final String PROVIDER_ID = "smart";

    @Override
    public String id() {
        return PROVIDER_ID;
    }

    @Override
    public String errorPrefix() {
        return "ehr";
    }

    @Override
    public String ehrName() {
        return null;
    }

    @Override
    public String chartName() {
        return null;
    }

    @Override
    public String tenantId(SmartTenantConfig config, FhirBaseUrl fhirBase) {
        // SMART names no tenant id: the path's last segment would be "fhir" on many servers and collide across EHRs.
        return config.configuredTenantId().orElse(config.getAlias());
    }

    @Override
    public void checkEndpoints(SmartConfiguration discovered, FhirBaseUrl fhirBase, SmartTenantConfig config) throws UpstreamException {
        Set<String> hosts = config.authorizationHosts();
        if (discovered.authorizationEndpoint() != null) {
            EndpointRules.check("authorization_endpoint", discovered.authorizationEndpoint(), fhirBase, config, hosts, null);
        }
        EndpointRules.check("token_endpoint", discovered.tokenEndpoint(), fhirBase, config, hosts, null);
        if (discovered.revocationEndpoint() != null) {
            EndpointRules.check("revocation_endpoint", discovered.revocationEndpoint(), fhirBase, config, hosts, null);
        }
        if (discovered.jwksUri() != null) {
            EndpointRules.check("jwks_uri", discovered.jwksUri(), fhirBase, config, hosts, null);
        }
    }

    @Override
    public boolean allowsBackendServicesOnly() {
        return true;
    }

    @Override
    public String expectedIssuer(SmartTenantConfig config, SmartConfiguration discovered) {
        return config.configuredIssuer().orElse(discovered == null ? null : discovered.issuer());
    }

    @Override
    public boolean acceptsIssuer(String issuer, SmartTenantConfig config, SmartConfiguration discovered, FhirBaseUrl fhirBase) {
        // Without a configured or discovered issuer there is nothing to check an id_token against: refuse.
        return false;
    }

    @Override
    public boolean verifiesTokensWithoutKid() {
        return true;
    }

    @Override
    public boolean resolvesRelativeFhirUser() {
        return true;
    }

    @Override
    public String fhirUserFallback(TokenResponse tokenResponse, FhirBaseUrl fhirBase) {
        return null;
    }

    @Override
    public boolean checksTokenResponseTenant() {
        return false;
    }

    @Override
    public boolean disablesNonce() {
        // OpenID Connect: the id_token echoes the nonce of the request it answers.
        return false;
    }

    @Override
    public Set<String> moreInformationHosts(SmartTenantConfig config) {
        Set<String> hosts = new HashSet<>(config.authorizationHosts());
        config.fhirBaseUrl().ifPresent(base -> hosts.add(base.authority().toLowerCase(Locale.ROOT)));
        return hosts;
    }

    @Override
    public String errorCode(String errorUri) {
        return null;
    }

    @Override
    public List<String> clientAuthenticationMethods() {
        return List.of(AUTH_CLIENT_SECRET_BASIC, AUTH_CLIENT_SECRET_POST, AUTH_PRIVATE_KEY_JWT);
    }

    @Override
    public List<String> assertionAlgorithms() {
        return List.of(ALG_RS384, ALG_ES384, "RS256", "ES256");
    }

    @Override
    public boolean allowsAccessScopesInList() {
        return true;
    }

    @Override
    public boolean requiresFhirUserScope() {
        return false;
    }

    @Override
    public List<String> problems(SmartTenantConfig config) {
        List<String> problems = new ArrayList<>();
        for (String host : config.authorizationHosts()) {
            if (!host.matches("[a-z0-9.-]+(:[0-9]{1,5})?") || host.startsWith(".") || host.endsWith(".")) {
                problems.add("Authorization host '" + host + "' must be a host name such as auth.example-ehr.org (no scheme,"
                        + " path or wildcard).");
            }
        }
        config.configuredIssuer().ifPresent(issuer -> {
            try {
                URI uri = new URI(issuer);
                boolean loopbackHttp = "http".equalsIgnoreCase(uri.getScheme()) && FhirBaseUrl.isLoopbackHost(uri.getHost())
                        && !config.isProduction();
                if (uri.getHost() == null || !("https".equalsIgnoreCase(uri.getScheme()) || loopbackHttp)) {
                    problems.add("Issuer must be the https URL the EHR's id_tokens carry in 'iss'.");
                }
            } catch (Exception e) {
                problems.add("Issuer must be the https URL the EHR's id_tokens carry in 'iss'.");
            }
        });
        return problems;
    }
}
