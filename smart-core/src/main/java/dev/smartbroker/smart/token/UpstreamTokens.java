package dev.smartbroker.smart.token;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Cerner's tokens for one launch, as kept (sealed) in the launch's client session.
 *
 * @param accessToken  opaque Cerner access token
 * @param refreshToken Cerner refresh token, or null without online/offline access; kept when a refresh
 *                     response carries none (docs/ehr/cerner.md §2.8)
 * @param expiresAt    epoch seconds when the access token expires
 * @param scope        granted scope
 * @param refreshedAt  epoch seconds of the last upstream refresh, 0 if never refreshed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UpstreamTokens(@JsonProperty("at") String accessToken,
                    @JsonProperty("rt") String refreshToken,
                    @JsonProperty("exp") long expiresAt,
                    @JsonProperty("lifetime") long lifetime,
                    @JsonProperty("scope") String scope,
                    @JsonProperty("refreshed_at") long refreshedAt) {

    /** Refresh no earlier than this many seconds before expiry (scaled down for short-lived tokens). */
    static final long REFRESH_AHEAD_SECONDS = 60;

    public static UpstreamTokens from(TokenResponse response, long now) {
        long lifetime = Math.max(0, response.expiresIn());
        return new UpstreamTokens(response.accessToken(), response.refreshToken(), now + lifetime, lifetime, response.scope(), 0);
    }

    /** The tokens after a refresh: Cerner sends no new refresh token, so the old one is kept unless replaced. */
    UpstreamTokens refreshed(TokenResponse response, long now) {
        long newLifetime = Math.max(0, response.expiresIn());
        return new UpstreamTokens(response.accessToken(), response.refreshToken() != null ? response.refreshToken() : refreshToken,
                now + newLifetime, newLifetime, response.scope() != null ? response.scope() : scope, now);
    }

    boolean isExpired(long now) {
        return expiresAt <= now;
    }

    /**
     * Expired, or close enough to expiry that a caller could not use it: within a minute for Cerner's 570 s tokens
     * (docs/ehr/cerner.md §2.5), within a fifth of the lifetime for shorter ones.
     */
    boolean isDue(long now) {
        long ahead = Math.min(REFRESH_AHEAD_SECONDS, Math.max(1, lifetime / 5));
        return expiresAt - ahead <= now;
    }

    @Override
    public String toString() {
        return "UpstreamTokens[expiresAt=" + expiresAt + ", scope=" + scope + ", refreshToken=" + (refreshToken != null) + "]";
    }
}
