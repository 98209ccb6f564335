package dev.smartbroker.smart.launch;

import java.util.List;

import dev.smartbroker.smart.tenant.Tenants;

/**
 * Whose {@code iss} and {@code launch} an app's authorization request carries. The launch step answers only requests
 * meant for the realm's SMART tenants: another identity provider of the realm may forward {@code launch} (or
 * {@code iss}) to its own upstream through Keycloak's "Forwarded query parameters", and an app may name it with
 * {@code kc_idp_hint}. Those requests are left alone, their parameters untouched, so that the other provider receives
 * them.
 */
final class LaunchRequest {

    enum Verdict {
        /** Not a launch of ours: step aside and leave the parameters to whoever they are for. */
        NOT_OURS,
        /** A launch for the resolved tenant. */
        TENANT,
        /** Ours but incomplete: only one of iss and launch. */
        MISSING_PARAMETERS,
        /** Ours, and iss names no tenant of this realm (an admin's typo or an attacker's URL). */
        UNKNOWN_TENANT,
        /** Several tenants claim this iss for this app. */
        AMBIGUOUS
    }

    private LaunchRequest() {
    }

    /**
     * @param hintsOtherProvider whether {@code kc_idp_hint} names an identity provider that is not a SMART tenant
     * @param resolution         the tenant resolution of {@code iss}, or null when there is no {@code iss}
     * @param forwarders         enabled non-SMART identity providers that forward {@code launch} or {@code iss}
     */
    static Verdict classify(String iss, String launch, boolean hintsOtherProvider, Tenants.Resolution resolution,
                            List<String> forwarders) {
        if (iss == null && launch == null) {
            return Verdict.NOT_OURS;
        }
        if (hintsOtherProvider) {
            return Verdict.NOT_OURS;
        }
        if (resolution != null && resolution.ambiguous()) {
            return Verdict.AMBIGUOUS;
        }
        if (resolution != null && resolution.tenant().isPresent()) {
            return launch == null ? Verdict.MISSING_PARAMETERS : Verdict.TENANT;
        }
        // No tenant of ours: the parameters belong to another provider that forwards them, if there is one.
        if (!forwarders.isEmpty()) {
            return Verdict.NOT_OURS;
        }
        return iss != null && launch != null ? Verdict.UNKNOWN_TENANT : Verdict.MISSING_PARAMETERS;
    }
}
