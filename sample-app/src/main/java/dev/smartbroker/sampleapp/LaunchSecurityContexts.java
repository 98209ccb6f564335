package dev.smartbroker.sampleapp;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.security.core.context.DeferredSecurityContext;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.HttpRequestResponseHolder;
import org.springframework.security.web.context.SecurityContextRepository;

/**
 * Who a request is signed in as comes from the launch its URL names, not from a per-browser Spring Security
 * context: {@code /launch/{id}/...} is authenticated as that launch's login if this browser holds it, and every
 * other URL is anonymous. So {@code @AuthenticationPrincipal}, {@code @RegisteredOAuth2AuthorizedClient} and sign-out
 * all see the launch of the tab they serve.
 */
final class LaunchSecurityContexts implements SecurityContextRepository {

    private final LaunchStore launches;

    LaunchSecurityContexts(LaunchStore launches) {
        this.launches = launches;
    }

    @Override
    public DeferredSecurityContext loadDeferredContext(HttpServletRequest request) {
        return new DeferredSecurityContext() {
            private SecurityContext context;

            @Override
            public SecurityContext get() {
                if (context == null) {
                    context = SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
                    launches.find(request, LaunchUrls.launchIdOf(request))
                            .ifPresent(launch -> context.setAuthentication(launch.authentication()));
                }
                return context;
            }

            @Override
            public boolean isGenerated() {
                return get().getAuthentication() == null;
            }
        };
    }

    @Override
    @Deprecated
    public SecurityContext loadContext(HttpRequestResponseHolder holder) {
        return loadDeferredContext(holder.getRequest()).get();
    }

    @Override
    public void saveContext(SecurityContext context, HttpServletRequest request, HttpServletResponse response) {
        // Nothing to save: a login is stored with its tokens by LaunchAuthorizedClients, which sees its launch id.
    }

    @Override
    public boolean containsContext(HttpServletRequest request) {
        return launches.find(request, LaunchUrls.launchIdOf(request)).isPresent();
    }
}
