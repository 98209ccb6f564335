package dev.smartbroker.simulator;

import java.util.Map;

/**
 * Where each tenant's endpoints live. A Cerner tenant keeps Cerner's layout: the FHIR base under {@code /r4/{tenant}},
 * the authorization server under {@code /tenants/{tenant}/…} with the token path bound to the FHIR host, one
 * {@code /jwk} for all (§1.1, §1.2). A generic tenant lives under {@code /smart/{tenant}/}: {@code fhir} is its FHIR
 * base and issuer, {@code auth/authorize}, {@code auth/token} and {@code auth/jwks} its authorization server.
 */
final class Urls {

    static final String AUTHORIZE_PATH = "protocols/oauth2/profiles/smart-v1/personas/provider/authorize";
    static final String TOKEN_PATH = "protocols/oauth2/profiles/smart-v1/token";
    /** The first path segment of generic tenants. */
    static final String GENERIC_ROOT = "smart";

    private final String baseUrl;
    private final Map<String, SimulatorConfig.Tenant> tenants;

    /** @param tenants the configured tenants, read only */
    Urls(String baseUrl, Map<String, SimulatorConfig.Tenant> tenants) {
        this.baseUrl = baseUrl;
        this.tenants = tenants;
    }

    String baseUrl() {
        return baseUrl;
    }

    /** Whether the tenant speaks the generic SMART dialect (an unknown tenant counts as Cerner's). */
    boolean generic(String tenant) {
        SimulatorConfig.Tenant t = tenant == null ? null : tenants.get(tenant);
        return t != null && t.isGeneric();
    }

    /** host[:port] of the FHIR base: the {@code hosts/} segment and the bearer realm (§1.2, §3.3). */
    String fhirHost() {
        return baseUrl.substring("http://".length());
    }

    String fhirBase(String tenant) {
        return generic(tenant) ? genericRoot(tenant) + "/fhir" : baseUrl + "/r4/" + tenant;
    }

    /** Cerner: the hosts/ form that discovery names (§1.2). */
    String tokenEndpoint(String tenant) {
        return generic(tenant) ? genericRoot(tenant) + "/auth/token"
                : baseUrl + "/tenants/" + tenant + "/hosts/" + fhirHost() + "/" + TOKEN_PATH;
    }

    /** Cerner's older token path; null for a generic tenant. */
    String legacyTokenEndpoint(String tenant) {
        return generic(tenant) ? null : baseUrl + "/tenants/" + tenant + "/" + TOKEN_PATH;
    }

    String authorizationEndpoint(String tenant) {
        return baseUrl + authorizePath(tenant);
    }

    /** The authorize path without scheme and host: the login and consent forms post below it. */
    String authorizePath(String tenant) {
        return generic(tenant) ? "/" + GENERIC_ROOT + "/" + tenant + "/auth/authorize" : "/tenants/" + tenant + "/" + AUTHORIZE_PATH;
    }

    /** Cerner's RFC 7009 endpoint; null for a generic tenant, which has none. */
    String revocationEndpoint(String tenant) {
        return generic(tenant) ? null : baseUrl + "/tenants/" + tenant + "/" + TOKEN_PATH + "/revoke";
    }

    /** The id_token {@code iss}: Cerner's oidc/idsps form with its trailing slash (§2.7); a generic tenant's FHIR base. */
    String oidcIssuer(String tenant) {
        return generic(tenant) ? fhirBase(tenant) : baseUrl + "/tenants/" + tenant + "/oidc/idsps/" + tenant + "/";
    }

    String managementEndpoint(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/personas/provider/my-authorizations";
    }

    /** The JWKS of the keys that sign the tenant's id_tokens: Cerner's shared {@code /jwk}, or the generic tenant's own. */
    String jwksUri(String tenant) {
        return generic(tenant) ? genericRoot(tenant) + "/auth/jwks" : baseUrl + "/jwk";
    }

    String styleUrl() {
        return baseUrl + "/styles/smart-v1.json";
    }

    private String genericRoot(String tenant) {
        return baseUrl + "/" + GENERIC_ROOT + "/" + tenant;
    }
}
