package dev.smartbroker.sampleapp;

import java.io.IOException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What an app does to be launched from the EHR through the broker. Two habits, no SMART:
 * <ol>
 *   <li>Landing with {@code kc_launch} always starts a new login, even when the browser already holds launches:
 *       it is a new launch, for a patient the app does not know yet. The launches of other tabs are left alone.</li>
 *   <li>The {@code kc_launch} value is forwarded as an extra authorization parameter, which binds the login to
 *       exactly this launch even if the clinician opens the app twice at once. It travels in the URL of this tab's
 *       own login start, never in anything shared by the browser's tabs, so two landings cannot swap handles.</li>
 * </ol>
 */
final class LaunchLanding extends OncePerRequestFilter {

    static final String PARAM = "kc_launch";
    /** An opaque one-time handle: URL-unreserved characters, bounded. Anything else is no handle of Keycloak's. */
    private static final Pattern HANDLE = Pattern.compile("[A-Za-z0-9._~-]{1,512}");
    private static final String LOGIN_START = OAuth2AuthorizationRequestRedirectFilter.DEFAULT_AUTHORIZATION_REQUEST_BASE_URI
            + "/" + SecurityConfig.REGISTRATION_ID;

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String handle = request.getParameter(PARAM);
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (handle == null || path.startsWith("/oauth2/") || path.startsWith("/login/")) {
            chain.doFilter(request, response);
            return;
        }
        if (!HANDLE.matcher(handle).matches()) {
            Pages.write(response, HttpServletResponse.SC_BAD_REQUEST, Pages.launchEnded());
            return;
        }
        // Checked above to need no encoding.
        response.sendRedirect(request.getContextPath() + LOGIN_START + "?" + PARAM + "=" + handle);
    }

    /** Adds the launch handle of the login start request, if it has one, to its authorization request. */
    static Consumer<OAuth2AuthorizationRequest.Builder> forwardLaunchHandle() {
        return builder -> {
            if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
                String handle = attributes.getRequest().getParameter(PARAM);
                if (handle != null && HANDLE.matcher(handle).matches()) {
                    builder.additionalParameters(params -> params.put(PARAM, handle));
                }
            }
        };
    }
}
