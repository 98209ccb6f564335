package dev.smartbroker.simulator;

/** The kinds of simulator endpoints, for the request log and fault injection. */
public enum Endpoint {
    /** {fhirBase}/.well-known/smart-configuration */
    DISCOVERY,
    /** {fhirBase}/metadata */
    METADATA,
    /** {oidc issuer}.well-known/openid-configuration (a generic tenant: {fhirBase}/.well-known/openid-configuration) */
    OIDC_CONFIGURATION,
    /** The authorize endpoint, and the login and consent forms posted under it. */
    AUTHORIZE,
    TOKEN,
    REVOKE,
    /** {base}/jwk (a generic tenant: {base}/smart/{tenant}/auth/jwks) */
    JWKS,
    /** FHIR reads and searches under {fhirBase}. */
    FHIR,
    /** {base}/launcher */
    LAUNCHER,
    /** {base}/errors/…, the page error_uri links to. */
    ERROR_PAGE,
    /** Anything else: styles, my-authorizations, CORS preflights, unknown paths. */
    OTHER;

    /** Calls a relying party makes server to server: what a broker's back channel costs. */
    boolean isBackChannel() {
        return switch (this) {
            case DISCOVERY, METADATA, OIDC_CONFIGURATION, TOKEN, REVOKE, JWKS, FHIR -> true;
            default -> false;
        };
    }
}
