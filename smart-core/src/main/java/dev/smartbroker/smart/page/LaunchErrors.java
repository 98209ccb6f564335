package dev.smartbroker.smart.page;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import jakarta.ws.rs.core.Response;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.Tenants;
import org.keycloak.common.util.Time;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.theme.Theme;

/**
 * The one way a failing launch step ends: one Keycloak event, one localized page, return.
 *
 * <p>Pages are rendered from {@code smart-launch-error.ftl}, which the themes jar contributes to every login theme
 * (theme-resources), in the same window: an EHR's embedded browser may share no cookies with pop-ups
 * (docs/ehr/cerner.md §2.1). Pages speak of the EHR by its profile's name (Cerner, PowerChart), else neutrally. Event
 * details carry the tenant, the IdP alias and a reason, never a patient id, token, code or launch value. Each page also
 * counts one refused launch ({@link SmartMetrics}), tagged with the problem and the tenant the event names.
 */
public final class LaunchErrors {

    private static final SecureRandom RANDOM = new SecureRandom();

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
        // Failures at the EHR: the event error is the profile's prefix and this suffix (cerner_access_denied).
        EHR_ACCESS_DENIED("smartErrorEhrAccessDenied", Response.Status.FORBIDDEN, "access_denied"),
        EHR_AUTHORIZE_ERROR("smartErrorEhrAuthorize", Response.Status.BAD_GATEWAY, "authorize_error"),
        /** The EHR refused the launch value: used before (Back, reload), expired, or opened for another app. */
        EHR_LAUNCH_REJECTED("smartErrorEhrLaunchRejected", Response.Status.BAD_REQUEST, "launch_rejected"),
        EHR_INVALID_GRANT("smartErrorEhrInvalidGrant", Response.Status.BAD_GATEWAY, "invalid_grant"),
        EHR_INVALID_CLIENT("smartErrorEhrInvalidClient", Response.Status.BAD_GATEWAY, "invalid_client"),
        EHR_TOKEN_ERROR("smartErrorEhrTokenError", Response.Status.BAD_GATEWAY, "token_error"),
        EHR_ID_TOKEN_INVALID("smartErrorEhrIdTokenInvalid", Response.Status.BAD_GATEWAY, "id_token_invalid"),
        EHR_UNREACHABLE("smartErrorEhrUnreachable", Response.Status.GATEWAY_TIMEOUT, "unreachable"),
        EHR_DISCOVERY_FAILED("smartErrorEhrDiscovery", Response.Status.BAD_GATEWAY, "discovery_failed"),
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

        /** Whether the problem happened at the EHR (its event error then carries the profile's prefix). */
        public boolean atTheEhr() {
            return name().startsWith("EHR_");
        }

        /** The event's {@code error}: {@code smart_…}, or for failures at the EHR the profile's prefix and suffix. */
        public String eventError(SmartProfile profile) {
            return atTheEhr() ? (profile == null ? "ehr" : profile.errorPrefix()) + "_" + eventError : eventError;
        }

        public static Problem of(UpstreamException.Kind kind) {
            return switch (kind) {
                case UNREACHABLE, TIMEOUT -> EHR_UNREACHABLE;
                case DISCOVERY -> EHR_DISCOVERY_FAILED;
                case INVALID_GRANT -> EHR_INVALID_GRANT;
                case INVALID_CLIENT -> EHR_INVALID_CLIENT;
                case TOKEN_ERROR -> EHR_TOKEN_ERROR;
                case ID_TOKEN_INVALID -> EHR_ID_TOKEN_INVALID;
            };
        }
    }

    /** Event detail holding the reference a launch error page shows, so the help desk finds the event. */
    public static final String DETAIL_REFERENCE = "reference";
    private static final String REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private LaunchErrors() {
    }

    /** Eight characters a clinician can read out on the phone: no 0/O, 1/I/L. */
    static String reference() {
        StringBuilder ref = new StringBuilder(9);
        for (int i = 0; i < 8; i++) {
            if (i == 4) {
                ref.append('-');
            }
            ref.append(REFERENCE_ALPHABET.charAt(RANDOM.nextInt(REFERENCE_ALPHABET.length())));
        }
        return ref.toString();
    }

    private static String sentenceStart(String words) {
        return words.isEmpty() ? words : words.substring(0, 1).toUpperCase(Locale.ROOT) + words.substring(1);
    }

    /**
     * Records {@code event} as an error and renders the page.
     *
     * @param authSession the authentication session, when there is one (keeps the page in the realm's theme and locale)
     * @param event       an event builder with type, client, tenant and IdP details already set
     * @param reason      a short reason for the event, without PHI, tokens or launch values
     * @param moreInfoUrl the EHR's "more information" page, already checked ({@link #trustedLink}), or null
     * @param profile     the profile of the tenant concerned, or null when no tenant is known yet
     * @param detail      the message's {0}: the app or tenant concerned; may come from the request (bounded here, escaped
     *                    by the page)
     */
    public static Response page(KeycloakSession session, AuthenticationSessionModel authSession, EventBuilder event,
                                Problem problem, String reason, String moreInfoUrl, SmartProfile profile, String detail) {
        SmartProfile wording = profile != null ? profile : realmProfile(session);
        String reference = reference();
        long now = Time.currentTimeMillis();
        if (event != null) {
            if (reason != null) {
                event.detail(Details.REASON, reason);
            }
            event.detail(DETAIL_REFERENCE, reference);
            event.error(problem.eventError(wording));
        }
        SmartMetrics metrics = SmartMetrics.of(session);
        if (metrics.enabled()) {
            metrics.launchRefused(session, tenantAlias(session, event), problem);
        }
        LoginFormsProvider form = session.getProvider(LoginFormsProvider.class);
        if (authSession != null) {
            form.setAuthenticationSession(authSession);
        }
        if (moreInfoUrl != null) {
            form.setAttribute("smartMoreInfoUrl", moreInfoUrl);
        }
        String ehr = wording != null && wording.ehrName() != null ? wording.ehrName() : message(session, "smartEhrGeneric", "the EHR");
        String chart = wording != null && wording.chartName() != null ? wording.chartName()
                : message(session, "smartChartGeneric", "the EHR");
        form.setAttribute("smartProblem", problem.name().toLowerCase(Locale.ROOT));
        form.setAttribute("smartTitleKey", problem.messageKey() + "Title");
        form.setAttribute("smartEhr", ehr);
        form.setAttribute("smartChart", chart);
        form.setAttribute("smartEhrStart", sentenceStart(ehr));
        form.setAttribute("smartErrorReference", reference);
        form.setAttribute("smartErrorTime", TIME.format(Instant.ofEpochMilli(now)));
        return form.setError(problem.messageKey(), detail == null ? "" : SafeText.bounded(detail), ehr, chart, sentenceStart(ehr))
                .setStatus(problem.status())
                .createForm(TEMPLATE);
    }

    public static Response page(KeycloakSession session, AuthenticationSessionModel authSession, EventBuilder event,
                                Problem problem, String reason, String moreInfoUrl, SmartProfile profile) {
        return page(session, authSession, event, problem, reason, moreInfoUrl, profile, null);
    }

    /**
     * The SMART tenant the event names ({@code identity_provider}), or null. Only an alias that is a SMART tenant of the
     * realm qualifies: a metric tag must never be text from the request.
     */
    static String tenantAlias(KeycloakSession session, EventBuilder event) {
        try {
            Map<String, String> details = event == null ? null : event.getEvent().getDetails();
            String alias = details == null ? null : details.get(Details.IDENTITY_PROVIDER);
            return alias != null && Tenants.config(session, alias).isPresent() ? alias : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The one profile every SMART tenant of the realm shares, for pages shown before a tenant is known; else null. */
    static SmartProfile realmProfile(KeycloakSession session) {
        try {
            Set<SmartProfile> profiles = Tenants.profiles(session);
            return profiles.size() == 1 ? profiles.iterator().next() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A message of the realm's login theme in the request's language, for words a page fills into another message. */
    private static String message(KeycloakSession session, String key, String fallback) {
        try {
            Theme theme = session.theme().getTheme(Theme.Type.LOGIN);
            Locale locale = session.getContext().resolveLocale(null);
            Properties messages = theme.getEnhancedMessages(session.getContext().getRealm(), locale);
            return messages.getProperty(key, fallback);
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }

    /**
     * {@code url} as a link target when it is a plain web URL on one of {@code hosts} ({@code host} or
     * {@code host:port}, lower case), else null: the EHR's "more information" page, never an address a request made up.
     */
    public static String trustedLink(String url, Set<String> hosts, boolean allowHttp) {
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
}
