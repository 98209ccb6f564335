package dev.smartbroker.smart.discovery;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;

/**
 * The test every endpoint a discovery document names must pass before the broker sends anything there: a plain URL,
 * https (http only on loopback for sandbox tenants), on the FHIR host or a host the profile trusts for this tenant,
 * and, when the profile scopes endpoints by path, under that path.
 */
public final class EndpointRules {

    private EndpointRules() {
    }

    /**
     * @param allowedHosts      host names besides the FHIR host (lower case)
     * @param requiredPathPrefix the path the endpoint must start with, or null
     */
    public static void check(String name, String value, FhirBaseUrl base, SmartTenantConfig config, Set<String> allowedHosts,
                             String requiredPathPrefix) throws UpstreamException {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, name + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null || host.isEmpty()) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, name + " is not a plain URL");
        }
        boolean loopback = FhirBaseUrl.isLoopbackHost(host);
        if (!"https".equals(scheme) && !("http".equals(scheme) && loopback && !config.isProduction())) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, name + " does not use https");
        }
        String authority = uri.getRawAuthority().toLowerCase(Locale.ROOT);
        boolean sameHostAsIss = authority.equals(base.authority().toLowerCase(Locale.ROOT));
        if (!sameHostAsIss && !allowedHosts.contains(host)) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, name + " host " + host
                    + " is neither the FHIR host nor one of the tenant's authorization hosts");
        }
        if (requiredPathPrefix != null && (uri.getRawPath() == null || !uri.getRawPath().startsWith(requiredPathPrefix))) {
            throw new UpstreamException(UpstreamException.Kind.DISCOVERY, name + " does not belong to tenant " + config.tenantId());
        }
    }
}
