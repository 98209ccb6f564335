package dev.smartbroker.cerner;

/**
 * A failure talking to a Cerner tenant, classified so that each kind gets its own page, event error and API
 * error code. Messages never contain tokens, codes, secrets or launch values.
 */
final class CernerException extends Exception {

    private static final long serialVersionUID = 1L;

    enum Kind {
        /** Connection refused, DNS failure, TLS failure. */
        UNREACHABLE("cerner_unreachable"),
        /** Connect or read timeout. */
        TIMEOUT("cerner_timeout"),
        /** Discovery failed or pointed outside the tenant. */
        DISCOVERY("cerner_discovery_failed"),
        /** The token endpoint answered invalid_grant (code expired or reused, refresh refused). */
        INVALID_GRANT("cerner_invalid_grant"),
        /** The token endpoint rejected our client authentication. */
        INVALID_CLIENT("cerner_invalid_client"),
        /** Any other error or a malformed answer from the token endpoint. */
        TOKEN_ERROR("cerner_token_error"),
        /** The id_token failed validation. */
        ID_TOKEN_INVALID("cerner_id_token_invalid");

        private final String eventError;

        Kind(String eventError) {
            this.eventError = eventError;
        }

        /** Value of the Keycloak event's {@code error} field. */
        String eventError() {
            return eventError;
        }
    }

    private final Kind kind;
    private final String cernerError;
    private final String errorUri;

    CernerException(Kind kind, String message) {
        this(kind, message, null, null, null);
    }

    CernerException(Kind kind, String message, Throwable cause) {
        this(kind, message, null, null, cause);
    }

    CernerException(Kind kind, String message, String cernerError, String errorUri, Throwable cause) {
        // Messages may quote what an upstream sent (an error code, a URL from discovery): bounded for logs and events.
        super(SafeText.bounded(message, 500), cause);
        this.kind = kind;
        this.cernerError = cernerError;
        this.errorUri = errorUri;
    }

    Kind kind() {
        return kind;
    }

    /** The OAuth2 {@code error} Cerner sent, if any. */
    String cernerError() {
        return cernerError;
    }

    /** Cerner's {@code error_uri} (its "more information" page), if any. */
    String errorUri() {
        return errorUri;
    }
}
