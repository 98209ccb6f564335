package dev.smartbroker.smart.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.smartbroker.smart.token.UpstreamTokens;

/**
 * One launch as Keycloak keeps it, sealed as a single value in its row of the launch table (see {@link LaunchStore}).
 *
 * @param context the launch context, never null
 * @param tokens  the EHR's tokens, or null once the EHR's authorization ended (refused refresh, logout)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredLaunch(@JsonProperty("context") LaunchContext context, @JsonProperty("tokens") UpstreamTokens tokens) {

    @Override
    public String toString() {
        return "StoredLaunch[" + context + ", " + tokens + "]";
    }
}
