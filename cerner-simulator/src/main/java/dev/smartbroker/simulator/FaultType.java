package dev.smartbroker.simulator;

/** What a fault does to a matching request. */
public enum FaultType {
    /** Sleep {@code latencyMs}, then answer normally. */
    LATENCY,
    /** Answer {@code httpStatus} (503 by default) with a small body. */
    SERVER_ERROR,
    /** Answer 200 with a truncated JSON body. */
    MALFORMED_JSON,
    /** Answer 404. */
    NOT_FOUND,
    /** Authorize: redirect back with error=access_denied. */
    ACCESS_DENIED,
    /** Token: answer invalid_grant. */
    INVALID_GRANT,
    /** Token: answer invalid_client. */
    INVALID_CLIENT,
    /** Token: sign the id_token with a key that is never published. */
    UNKNOWN_KID,
    /** Token: treat the authorization code as expired. */
    EXPIRED_CODE
}
