package dev.smartbroker.cerner;

import java.util.Optional;

import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;

/**
 * The {@code iss} allowlist: the realm's Cerner identity providers. Resolution is an exact match of canonical
 * FHIR base URLs and makes no network call, so an attacker-chosen {@code iss} never receives a request, let alone
 * our client credentials (cerner-smart-facts §4, "Malicious iss").
 */
public final class CernerTenants {

    /** A configured tenant that matched an {@code iss}. */
    public record Tenant(String alias, String tenantId, FhirBaseUrl fhirBaseUrl, boolean enabled, String environment) {
    }

    private CernerTenants() {
    }

    /** The Cerner identity provider whose FHIR base equals {@code iss}, enabled or not. */
    public static Optional<Tenant> resolve(KeycloakSession session, String iss) {
        Optional<FhirBaseUrl> wanted = FhirBaseUrl.parse(iss);
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        return session.identityProviders().getAllStream()
                .filter(model -> CernerIdentityProviderFactory.PROVIDER_ID.equals(model.getProviderId()))
                .map(CernerTenants::tenant)
                .flatMap(Optional::stream)
                .filter(tenant -> tenant.fhirBaseUrl().equals(wanted.get()))
                // An enabled provider wins over a disabled duplicate of the same tenant.
                .sorted((a, b) -> Boolean.compare(b.enabled(), a.enabled()))
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
                config.environment()));
    }
}
