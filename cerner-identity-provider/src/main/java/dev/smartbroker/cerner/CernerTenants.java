package dev.smartbroker.cerner;

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
     * one that lists the app, else one that lists no apps; enabled ones before disabled ones, then by alias.
     */
    public static Optional<Tenant> resolve(KeycloakSession session, String iss, String clientId) {
        Optional<FhirBaseUrl> wanted = FhirBaseUrl.parse(iss);
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        return session.identityProviders().getAllStream()
                .filter(model -> CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId()))
                .map(CernerTenants::tenant)
                .flatMap(Optional::stream)
                .filter(tenant -> tenant.fhirBaseUrl().equals(wanted.get()))
                .filter(tenant -> tenant.launchApps().isEmpty() || tenant.launchApps().contains(clientId))
                .sorted(java.util.Comparator.comparing((Tenant t) -> !t.enabled())
                        .thenComparing(t -> !t.launchApps().contains(clientId))
                        .thenComparing(Tenant::alias))
                .findFirst();
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
