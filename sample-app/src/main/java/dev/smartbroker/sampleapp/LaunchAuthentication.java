package dev.smartbroker.sampleapp;

import java.util.Objects;

import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * Spring's result of an OIDC login, tied to the launch it was made for. Two launches of one clinician have the same
 * user (same {@code sub}), so the user alone cannot tell them apart; the launch id can.
 */
final class LaunchAuthentication extends OAuth2AuthenticationToken {

    private static final long serialVersionUID = 1L;

    private final String launchId;

    LaunchAuthentication(String launchId, OAuth2AuthenticationToken login) {
        super(login.getPrincipal(), login.getAuthorities(), login.getAuthorizedClientRegistrationId());
        setDetails(login.getDetails());
        this.launchId = Objects.requireNonNull(launchId);
    }

    String launchId() {
        return launchId;
    }

    /** The OIDC user of the launch's login (an OIDC login's principal is always one). */
    OidcUser user() {
        return (OidcUser) getPrincipal();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LaunchAuthentication that && launchId.equals(that.launchId) && super.equals(other);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + launchId.hashCode();
    }
}
