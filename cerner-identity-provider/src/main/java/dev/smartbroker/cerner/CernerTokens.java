package dev.smartbroker.cerner;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Cerner's tokens for one launch, as kept (sealed) in the launch's client session.
 *
 * @param accessToken  opaque Cerner access token
 * @param refreshToken Cerner refresh token, or null without online/offline access; kept when a refresh
 *                     response carries none (cerner-smart-facts §2.8)
 * @param expiresAt    epoch seconds when the access token expires
 * @param scope        granted scope
 * @param refreshedAt  epoch seconds of the last upstream refresh, 0 if never refreshed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record CernerTokens(@JsonProperty("at") String accessToken,
                    @JsonProperty("rt") String refreshToken,
                    @JsonProperty("exp") long expiresAt,
                    @JsonProperty("scope") String scope,
                    @JsonProperty("refreshed_at") long refreshedAt) {

    static CernerTokens from(CernerTokenResponse response, long now) {
        return new CernerTokens(response.accessToken(), response.refreshToken(), now + Math.max(0, response.expiresIn()),
                response.scope(), 0);
    }

    /** The tokens after a refresh: Cerner sends no new refresh token, so the old one is kept unless replaced. */
    CernerTokens refreshed(CernerTokenResponse response, long now) {
        return new CernerTokens(response.accessToken(), response.refreshToken() != null ? response.refreshToken() : refreshToken,
                now + Math.max(0, response.expiresIn()), response.scope() != null ? response.scope() : scope, now);
    }

    @Override
    public String toString() {
        return "CernerTokens[expiresAt=" + expiresAt + ", scope=" + scope + ", refreshToken=" + (refreshToken != null) + "]";
    }
}
