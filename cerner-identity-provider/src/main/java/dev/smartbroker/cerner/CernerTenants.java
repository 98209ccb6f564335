package dev.smartbroker.cerner;

import java.util.List;
import java.util.Optional;

import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;

/**
 * The {@code iss} allowlist: the realm's Cerner identity providers. Resolution is an exact match of canonical
 * FHIR base URLs and makes no network call, so an attacker-chosen {@code iss} never receives a request, let alone
 * our client credentials (docs/ehr/cerner.md §4, "Malicious iss").
 */
public final class CernerTenants {

    /** A configured tenant (one Cerner registration) that matched an {@code iss}. */
    public record Tenant(String alias, String tenantId, FhirBaseUrl fhirBaseUrl, boolean enabled, String environment,
                         java.util.Set<String> launchApps) {
    }

    private CernerTenants() {
    }

    /**
     * The Cerner identity provider that launches {@code clientId} from the tenant whose FHIR base equals {@code iss}:
     * the one that lists the app, else the one that lists no apps. Saving a tenant refuses overlaps, so there is at
     * most one; should stored configurations still overlap, the launch is refused rather than given to whichever
     * alias sorts first ({@link Resolution#conflicting()}). Disabled tenants count only when no enabled one matches.
     */
    public static Resolution resolve(KeycloakSession session, String iss, String clientId) {
        Optional<FhirBaseUrl> wanted = FhirBaseUrl.parse(iss);
        if (wanted.isEmpty()) {
            return Resolution.NONE;
        }
        List<Tenant> matching = session.identityProviders().getAllStream()
                .filter(model -> CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId()))
                .map(CernerTenants::tenant)
                .flatMap(Optional::stream)
                .filter(tenant -> tenant.fhirBaseUrl().equals(wanted.get()))
                .filter(tenant -> tenant.launchApps().isEmpty() || tenant.launchApps().contains(clientId))
                .toList();
        for (boolean enabled : new boolean[]{true, false}) {
            List<Tenant> candidates = matching.stream().filter(t -> t.enabled() == enabled).toList();
            List<Tenant> listing = candidates.stream().filter(t -> t.launchApps().contains(clientId)).toList();
            List<Tenant> best = listing.isEmpty() ? candidates : listing;
            if (best.size() == 1) {
                return new Resolution(Optional.of(best.get(0)), List.of());
            }
            if (best.size() > 1) {
                return new Resolution(Optional.empty(), best.stream().map(Tenant::alias).sorted().toList());
            }
        }
        return Resolution.NONE;
    }

    /** The tenant of a launch, none, or the tenants that claim it at once (a configuration to fix). */
    public record Resolution(Optional<Tenant> tenant, List<String> conflicting) {

        static final Resolution NONE = new Resolution(Optional.empty(), List.of());

        public boolean ambiguous() {
            return !conflicting.isEmpty();
        }
    }

    /** The tenant behind an identity provider alias, if it is a Cerner provider. */
    public static Optional<Tenant> byAlias(KeycloakSession session, String alias) {
        IdentityProviderModel model = alias == null ? null : session.identityProviders().getByAlias(alias);
        if (model == null || !CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId())) {
            return Optional.empty();
        }
        return tenant(model);
    }

    private static Optional<Tenant> tenant(IdentityProviderModel model) {
        CernerIdentityProviderConfig config = new CernerIdentityProviderConfig(model);
        return config.fhirBaseUrl().map(base -> new Tenant(model.getAlias(), base.tenantId(), base, model.isEnabled(),
                config.environment(), config.launchApps()));
    }
}
