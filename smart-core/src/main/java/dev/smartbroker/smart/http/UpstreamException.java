package dev.smartbroker.smart.http;

import dev.smartbroker.smart.support.SafeText;

/**
 * A failure talking to an EHR tenant, classified so that each kind gets its own page, event error and API
 * error code. Messages never contain tokens, codes, secrets or launch values.
 */
public final class UpstreamException extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Connection refused, DNS failure, TLS failure. */
        UNREACHABLE,
        /** Connect or read timeout. */
        TIMEOUT,
        /** Discovery failed or pointed outside the tenant. */
        DISCOVERY,
        /** The token endpoint answered invalid_grant (code expired or reused, refresh refused). */
        INVALID_GRANT,
        /** The token endpoint rejected our client authentication. */
        INVALID_CLIENT,
        /** Any other error or a malformed answer from the token endpoint. */
        TOKEN_ERROR,
        /** The id_token failed validation. */
        ID_TOKEN_INVALID
    }

    private final Kind kind;
    private final String ehrError;
    private final String errorUri;

    public UpstreamException(Kind kind, String message) {
        this(kind, message, null, null, null);
    }

    public UpstreamException(Kind kind, String message, Throwable cause) {
        this(kind, message, null, null, cause);
    }

    public UpstreamException(Kind kind, String message, String ehrError, String errorUri, Throwable cause) {
        // Messages may quote what an upstream sent (an error code, a URL from discovery): bounded for logs and events.
        super(SafeText.bounded(message, 500), cause);
        this.kind = kind;
        this.ehrError = ehrError;
        this.errorUri = errorUri;
    }

    public Kind kind() {
        return kind;
    }

    /** The OAuth2 {@code error} the EHR sent, if any. */
    public String ehrError() {
        return ehrError;
    }

    /** The EHR's {@code error_uri} (its "more information" page), if any. */
    public String errorUri() {
        return errorUri;
    }
}
