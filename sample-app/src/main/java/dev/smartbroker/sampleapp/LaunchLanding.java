package dev.smartbroker.sampleapp;

import java.io.IOException;
import java.util.function.Consumer;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * What an app does to be launched from the EHR through the broker. Two habits, no SMART:
 * <ol>
 *   <li>Landing with {@code kc_launch} always starts a new login, even when the app already has a session:
 *       otherwise the app would keep showing the previous launch's patient.</li>
 *   <li>The {@code kc_launch} value is forwarded as an extra authorization parameter, which binds the login to
 *       exactly this launch even if the clinician opens the app twice at once.</li>
 * </ol>
 */
final class LaunchLanding extends OncePerRequestFilter {

    static final String PARAM = "kc_launch";
    private static final String SESSION_KEY = LaunchLanding.class.getName() + ".handle";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String handle = request.getParameter(PARAM);
        if (handle != null && !request.getRequestURI().startsWith("/oauth2/") && !request.getRequestURI().startsWith("/login/")) {
            HttpSession old = request.getSession(false);
            if (old != null) {
                old.invalidate();
            }
            SecurityContextHolder.clearContext();
            request.getSession(true).setAttribute(SESSION_KEY, handle);
            response.sendRedirect(UriComponentsBuilder.fromPath("/oauth2/authorization/" + SecurityConfig.REGISTRATION_ID)
                    .build().toUriString());
            return;
        }
        chain.doFilter(request, response);
    }

    /** Adds the pending launch handle of this browser session to the authorization request, once. */
    static Consumer<OAuth2AuthorizationRequest.Builder> forwardLaunchHandle() {
        return builder -> {
            if (!(RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes)) {
                return;
            }
            HttpSession session = attributes.getRequest().getSession(false);
            Object handle = session == null ? null : session.getAttribute(SESSION_KEY);
            if (handle instanceof String value) {
                session.removeAttribute(SESSION_KEY);
                builder.additionalParameters(params -> params.put(PARAM, value));
            }
        };
    }
}
