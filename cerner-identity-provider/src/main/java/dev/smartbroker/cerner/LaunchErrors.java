package dev.smartbroker.cerner;

import java.net.URI;
import java.util.Locale;

import jakarta.ws.rs.core.Response;

import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * The one way a failing launch step ends: one Keycloak event, one localized page, return.
 *
 * <p>Pages are rendered from {@code smart-launch-error.ftl}, which the themes jar contributes to every login
 * theme (theme-resources), in the same window: PowerChart's embedded browser does not share cookies with
 * pop-ups (docs/ehr/cerner.md §2.1). Event details carry the tenant, the IdP alias and a reason, never a
 * patient id, token, code or launch value.
 */
public final class LaunchErrors {

    public static final String TEMPLATE = "smart-launch-error.ftl";

    /** What went wrong, with its message key, HTTP status and event error. */
    public enum Problem {
        MISSING_PARAMETERS("smartErrorMissingParameters", Response.Status.BAD_REQUEST, "smart_missing_parameters"),
        UNKNOWN_TENANT("smartErrorUnknownTenant", Response.Status.FORBIDDEN, "smart_unknown_iss"),
        TENANT_AMBIGUOUS("smartErrorTenantAmbiguous", Response.Status.CONFLICT, "smart_tenant_ambiguous"),
        TENANT_DISABLED("smartErrorTenantDisabled", Response.Status.FORBIDDEN, "smart_tenant_disabled"),
        UNKNOWN_APP("smartErrorUnknownApp", Response.Status.NOT_FOUND, "smart_unknown_app"),
        APP_NOT_LAUNCHABLE("smartErrorAppNotLaunchable", Response.Status.FORBIDDEN, "smart_app_not_launchable"),
        LAUNCH_EXPIRED("smartErrorLaunchExpired", Response.Status.BAD_REQUEST, "smart_launch_expired"),
        LAUNCH_AMBIGUOUS("smartErrorLaunchAmbiguous", Response.Status.CONFLICT, "smart_launch_ambiguous"),
        PKCE_REQUIRED("smartErrorPkceRequired", Response.Status.BAD_REQUEST, "smart_pkce_required"),
        LAUNCH_REQUIRED("smartErrorLaunchRequired", Response.Status.BAD_REQUEST, "smart_launch_required"),
        ACCOUNT_CONFLICT("smartErrorAccountConflict", Response.Status.CONFLICT, "smart_account_conflict"),
        CALLBACK_MISMATCH("smartErrorCallbackMismatch", Response.Status.BAD_REQUEST, "smart_callback_mismatch"),
        CERNER_ACCESS_DENIED("smartErrorCernerAccessDenied", Response.Status.FORBIDDEN, "cerner_access_denied"),
        CERNER_AUTHORIZE_ERROR("smartErrorCernerAuthorize", Response.Status.BAD_GATEWAY, "cerner_authorize_error"),
        CERNER_INVALID_GRANT("smartErrorCernerInvalidGrant", Response.Status.BAD_GATEWAY, "cerner_invalid_grant"),
        CERNER_INVALID_CLIENT("smartErrorCernerInvalidClient", Response.Status.BAD_GATEWAY, "cerner_invalid_client"),
        CERNER_TOKEN_ERROR("smartErrorCernerTokenError", Response.Status.BAD_GATEWAY, "cerner_token_error"),
        CERNER_ID_TOKEN_INVALID("smartErrorCernerIdTokenInvalid", Response.Status.BAD_GATEWAY, "cerner_id_token_invalid"),
        CERNER_UNREACHABLE("smartErrorCernerUnreachable", Response.Status.GATEWAY_TIMEOUT, "cerner_unreachable"),
        CERNER_DISCOVERY_FAILED("smartErrorCernerDiscovery", Response.Status.BAD_GATEWAY, "cerner_discovery_failed"),
        SERVER_ERROR("smartErrorServer", Response.Status.INTERNAL_SERVER_ERROR, "smart_server_error");

        private final String messageKey;
        private final Response.Status status;
        private final String eventError;

        Problem(String messageKey, Response.Status status, String eventError) {
            this.messageKey = messageKey;
            this.status = status;
            this.eventError = eventError;
        }

        public String messageKey() {
            return messageKey;
        }

        public Response.Status status() {
            return status;
        }

        public String eventError() {
            return eventError;
        }

        static Problem of(CernerException.Kind kind) {
            return switch (kind) {
                case UNREACHABLE, TIMEOUT -> CERNER_UNREACHABLE;
                case DISCOVERY -> CERNER_DISCOVERY_FAILED;
                case INVALID_GRANT -> CERNER_INVALID_GRANT;
                case INVALID_CLIENT -> CERNER_INVALID_CLIENT;
                case TOKEN_ERROR -> CERNER_TOKEN_ERROR;
                case ID_TOKEN_INVALID -> CERNER_ID_TOKEN_INVALID;
            };
        }
    }

    private LaunchErrors() {
    }

    /**
     * Records {@code event} as an error and renders the page.
     *
     * @param authSession  the authentication session, when there is one (keeps the page in the realm's theme and locale)
     * @param event        an event builder with type, client, tenant and IdP details already set
     * @param reason       a short reason for the event, without PHI, tokens or launch values
     * @param moreInfoUrl  the EHR's "more information" page, already checked ({@link #trustedLink}), or null
     * @param params       parameters of the localized message
     */
    public static Response page(KeycloakSession session, AuthenticationSessionModel authSession, EventBuilder event,
                                Problem problem, String reason, String moreInfoUrl, Object... params) {
        if (event != null) {
            if (reason != null) {
                event.detail(Details.REASON, reason);
            }
            event.error(problem.eventError());
        }
        LoginFormsProvider form = session.getProvider(LoginFormsProvider.class);
        if (authSession != null) {
            form.setAuthenticationSession(authSession);
        }
        if (moreInfoUrl != null) {
            form.setAttribute("smartMoreInfoUrl", moreInfoUrl);
        }
        form.setAttribute("smartProblem", problem.name().toLowerCase(Locale.ROOT));
        form.setAttribute("smartTitleKey", problem.messageKey() + "Title");
        Object[] bounded = new Object[params.length];
        for (int i = 0; i < params.length; i++) {
            // Parameters may come from the request (an app id in the URL): bounded here, escaped by the page.
            bounded[i] = params[i] instanceof String text ? SafeText.bounded(text) : params[i];
        }
        return form.setError(problem.messageKey(), bounded)
                .setStatus(problem.status())
                .createForm(TEMPLATE);
    }

    /**
     * {@code url} as a link target when it is a plain web URL on one of {@code hosts} ({@code host} or
     * {@code host:port}, lower case), else null: the EHR's "more information" page, never an address a request made up.
     */
    static String trustedLink(String url, java.util.Set<String> hosts, boolean allowHttp) {
        if (url == null || url.isBlank() || url.length() > 2048) {
            return null;
        }
        try {
            URI uri = new URI(url.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            String host = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
            if (host == null || uri.getRawUserInfo() != null || !("https".equals(scheme) || (allowHttp && "http".equals(scheme)))) {
                return null;
            }
            String authority = uri.getPort() == -1 ? host : host + ":" + uri.getPort();
            return hosts.contains(host) || hosts.contains(authority) ? uri.toASCIIString() : null;
        } catch (Exception e) {
            // not a URL: no link
            return null;
        }
    }

    /** The error URN inside a Cerner error_uri ({@code .../errors/<urn>/instances/<uuid>}), for event details. */
    static String cernerErrorUrn(String errorUri) {
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
            String urn = java.net.URLDecoder.decode(encoded, java.nio.charset.StandardCharsets.UTF_8);
            return urn.startsWith("urn:") && urn.length() < 300 ? urn : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
