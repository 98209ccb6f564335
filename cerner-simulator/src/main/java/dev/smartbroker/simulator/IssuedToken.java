package dev.smartbroker.simulator;

import java.time.Instant;

/** A token the simulator issued, for tests that check tokens never appear where they must not. */
public record IssuedToken(String tenant, String clientId, String kind, String value, Instant issuedAt) {

    @Override
    public String toString() {
        return "IssuedToken[" + tenant + ", " + clientId + ", " + kind + "]";
    }
}
