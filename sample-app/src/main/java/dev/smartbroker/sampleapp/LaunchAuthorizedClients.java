package dev.smartbroker.sampleapp;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * Spring's authorized clients (access and refresh token), one per launch instead of Spring's default of one per
 * browser session. Spring's login filter saves the login's client here, and Spring's
 * {@link org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager} loads, refreshes and saves it;
 * the principal they pass says which launch: at login it is the new login (the launch id is read from its access
 * token), afterwards it is the {@link LaunchAuthentication} of the launch the URL names.
 */
final class LaunchAuthorizedClients implements OAuth2AuthorizedClientRepository {

    /** Request attribute: the launch a login callback just stored, for the redirect to its page. */
    static final String SIGNED_IN_LAUNCH = LaunchAuthorizedClients.class.getName() + ".signedIn";

    private final LaunchStore launches;

    LaunchAuthorizedClients(LaunchStore launches) {
        this.launches = launches;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends OAuth2AuthorizedClient> T loadAuthorizedClient(String registrationId, Authentication principal,
                                                                     HttpServletRequest request) {
        if (!(principal instanceof LaunchAuthentication launch)) {
            return null;
        }
        return (T) launches.find(request, launch.launchId())
                .map(LaunchStore.Launch::client)
                .filter(client -> client.getClientRegistration().getRegistrationId().equals(registrationId))
                .orElse(null);
    }

    @Override
    public void saveAuthorizedClient(OAuth2AuthorizedClient client, Authentication principal, HttpServletRequest request,
                                     HttpServletResponse response) {
        String launchId = LaunchStore.launchIdOf(client.getAccessToken());
        if (principal instanceof LaunchAuthentication launch) {
            // A refresh: the new token must still belong to the launch whose page asked for it.
            if (!launch.launchId().equals(launchId)) {
                launches.remove(request, launch.launchId());
                throw new ClientAuthorizationException(new OAuth2Error("invalid_token",
                        "the refreshed access token does not carry this launch", null), client.getClientRegistration().getRegistrationId());
            }
            launches.replaceClient(request, launchId, client);
            return;
        }
        if (!(principal instanceof OAuth2AuthenticationToken login) || !(login.getPrincipal() instanceof OidcUser)) {
            throw new IllegalArgumentException("not an OIDC login: " + (principal == null ? null : principal.getClass().getName()));
        }
        if (launchId == null) {
            // A sign-in that did not come from an EHR launch: there is no patient to show, and no key to keep it under.
            throw new OAuth2AuthenticationException(new OAuth2Error("launch_missing", "the access token carries no launch", null));
        }
        launches.put(request, new LaunchStore.Launch(new LaunchAuthentication(launchId, login), client));
        request.setAttribute(SIGNED_IN_LAUNCH, launchId);
    }

    @Override
    public void removeAuthorizedClient(String registrationId, Authentication principal, HttpServletRequest request,
                                       HttpServletResponse response) {
        // Spring calls this when Keycloak refuses the refresh token for good: the launch is over.
        if (principal instanceof LaunchAuthentication launch) {
            launches.remove(request, launch.launchId());
        }
    }
}
