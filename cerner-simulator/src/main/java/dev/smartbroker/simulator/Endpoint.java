package dev.smartbroker.simulator;

/** The kinds of simulator endpoints, for the request log and fault injection. */
public enum Endpoint {
    DISCOVERY, METADATA, OIDC_CONFIGURATION, AUTHORIZE, TOKEN, REVOKE, JWKS, FHIR, LAUNCHER, ERROR_PAGE, OTHER;

    /** Calls a relying party makes server to server (what a broker's back channel costs). */
    boolean isBackChannel() {
        return switch (this) {
            case DISCOVERY, METADATA, OIDC_CONFIGURATION, TOKEN, REVOKE, JWKS, FHIR -> true;
            default -> false;
        };
    }
}
