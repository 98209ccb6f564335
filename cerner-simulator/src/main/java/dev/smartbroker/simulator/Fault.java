package dev.smartbroker.simulator;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A fault to inject.
 *
 * @param tenant     tenant it applies to, or null for any
 * @param endpoint   endpoint it applies to
 * @param type       what it does
 * @param count      how many matching requests it affects; -1 until cleared; 0 (a JSON body without it) means once
 * @param latencyMs  for LATENCY
 * @param httpStatus for SERVER_ERROR (0 means 503)
 * @param grantType  for TOKEN, only requests of this grant type (null: any)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Fault(String tenant, Endpoint endpoint, FaultType type, int count, long latencyMs, int httpStatus, String grantType) {

    /** A fault that hits the next matching request of any tenant once. */
    public static Fault of(Endpoint endpoint, FaultType type) {
        return new Fault(null, endpoint, type, 1, 0, 0, null);
    }

    public Fault forTenant(String value) {
        return new Fault(value, endpoint, type, count, latencyMs, httpStatus, grantType);
    }

    public Fault times(int value) {
        return new Fault(tenant, endpoint, type, value, latencyMs, httpStatus, grantType);
    }

    public Fault untilCleared() {
        return times(-1);
    }

    public Fault latency(long millis) {
        return new Fault(tenant, endpoint, type, count, millis, httpStatus, grantType);
    }

    public Fault status(int value) {
        return new Fault(tenant, endpoint, type, count, latencyMs, value, grantType);
    }

    public Fault grant(String value) {
        return new Fault(tenant, endpoint, type, count, latencyMs, httpStatus, value);
    }
}
