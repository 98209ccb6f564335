package dev.smartbroker.simulator;

/**
 * Where each tenant's endpoints live. Cerner keeps the FHIR base under {@code /r4/{tenant}} and the authorization
 * server under {@code /tenants/{tenant}/…}, with the token path bound to the FHIR host (§1.1, §1.2).
 */
final class Urls {

    static final String AUTHORIZE_PATH = "protocols/oauth2/profiles/smart-v1/personas/provider/authorize";
    static final String TOKEN_PATH = "protocols/oauth2/profiles/smart-v1/token";

    private final String baseUrl;

    Urls(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    String baseUrl() {
        return baseUrl;
    }

    /** host[:port] of the FHIR base: the {@code hosts/} segment and the bearer realm (§1.2, §3.3). */
    String fhirHost() {
        return baseUrl.substring("http://".length());
    }

    String fhirBase(String tenant) {
        return baseUrl + "/r4/" + tenant;
    }

    /** The hosts/ form that discovery names (§1.2). */
    String tokenEndpoint(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/hosts/" + fhirHost() + "/" + TOKEN_PATH;
    }

    String legacyTokenEndpoint(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/" + TOKEN_PATH;
    }

    String authorizationEndpoint(String tenant) {
        return baseUrl + authorizePath(tenant);
    }

    /** The authorize path without scheme and host: the login and consent forms post below it. */
    String authorizePath(String tenant) {
        return "/tenants/" + tenant + "/" + AUTHORIZE_PATH;
    }

    String revocationEndpoint(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/" + TOKEN_PATH + "/revoke";
    }

    /** Cerner's id_token issuer, with its trailing slash (§2.7). */
    String oidcIssuer(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/oidc/idsps/" + tenant + "/";
    }

    String managementEndpoint(String tenant) {
        return baseUrl + "/tenants/" + tenant + "/personas/provider/my-authorizations";
    }

    String jwksUri(String tenant) {
        return baseUrl + "/jwk";
    }

    String styleUrl() {
        return baseUrl + "/styles/smart-v1.json";
    }
}
