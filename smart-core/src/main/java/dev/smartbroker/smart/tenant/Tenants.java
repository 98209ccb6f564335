package dev.smartbroker.smart.tenant;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.smartbroker.smart.SmartProfile;
import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resource.RealmResourceProvider;

/**
 * The {@code iss} allowlist: the realm's SMART tenants, of every profile. Resolution is an exact match of canonical FHIR
 * base URLs and makes no network call, so an attacker-chosen {@code iss} never receives a request, let alone our client
 * credentials (docs/ehr/smart-app-launch.md §11).
 */
public final class Tenants {

    /**
     * A configured tenant (one EHR registration) that matched an {@code iss}. {@code enabled}: its identity provider is
     * switched on and not set to "account linking only", so that it can sign clinicians in.
     */
    public record Tenant(String alias, String providerId, String tenantId, FhirBaseUrl fhirBaseUrl, boolean enabled,
                         String environment, Set<String> launchApps) {
    }

    private Tenants() {
    }

    /**
     * The tenant that launches {@code clientId} from the FHIR base {@code iss}: the one that lists the app, else the one
     * that lists no apps. Saving a tenant refuses overlaps, so there is at most one; should stored configurations still
     * overlap, the launch is refused rather than given to whichever alias sorts first ({@link Resolution#conflicting()}).
     * Disabled tenants count only when no enabled one matches.
     */
    public static Resolution resolve(KeycloakSession session, String iss, String clientId) {
        Optional<FhirBaseUrl> wanted = FhirBaseUrl.parse(iss);
        if (wanted.isEmpty()) {
            return Resolution.NONE;
        }
        // The index names candidates; each is read again by alias (Keycloak's cache, consistent across the cluster)
        // and checked again, so a stale index can miss a tenant but never choose one whose stored config moved away.
        List<Tenant> matching = snapshot(session).candidates(wanted.get()).stream()
                .distinct()
                .map(alias -> byAlias(session, alias))
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

        public static final Resolution NONE = new Resolution(Optional.empty(), List.of());

        public boolean ambiguous() {
            return !conflicting.isEmpty();
        }
    }

    /** The tenant behind an identity provider alias, if it is a SMART tenant. */
    public static Optional<Tenant> byAlias(KeycloakSession session, String alias) {
        return config(session, alias).flatMap(Tenants::tenant);
    }

    /** The typed configuration behind an identity provider alias, if it is a SMART tenant. */
    public static Optional<SmartTenantConfig> config(KeycloakSession session, String alias) {
        IdentityProviderModel model = alias == null || alias.length() > 255 ? null : session.identityProviders().getByAlias(alias);
        if (model == null) {
            return Optional.empty();
        }
        SmartTenantType type = types(session).get(model.getProviderId());
        return type == null ? Optional.empty() : Optional.of(type.config(model));
    }

    /**
     * Every SMART tenant of the session's realm, whatever its profile: a full scan, read from the database each time.
     * For the admin path (saving a tenant); launches go through the node's {@link TenantIndex}.
     */
    public static List<SmartTenantConfig> configs(KeycloakSession session) {
        Map<String, SmartTenantType> types = types(session);
        return session.identityProviders().getAllStream()
                .filter(model -> types.containsKey(model.getProviderId()))
                .map(model -> types.get(model.getProviderId()).config(model))
                .toList();
    }

    /**
     * The enabled identity providers of the realm that are not SMART tenants and forward one of {@code parameters}
     * upstream (Keycloak's "Forwarded query parameters"): an app's {@code launch} or {@code iss} may be meant for them.
     */
    public static List<String> forwardersOf(KeycloakSession session, Set<String> parameters) {
        Map<String, SmartTenantType> types = types(session);
        return snapshot(session).forwarded().entrySet().stream()
                .filter(entry -> entry.getValue().stream().anyMatch(parameters::contains))
                .map(entry -> session.identityProviders().getByAlias(entry.getKey()))
                .filter(model -> model != null && model.isEnabled() && !types.containsKey(model.getProviderId()))
                .filter(model -> TenantIndex.forwardedParameters(model).stream().anyMatch(parameters::contains))
                .map(IdentityProviderModel::getAlias)
                .sorted()
                .toList();
    }

    /** The profiles of the realm's SMART tenants (from the node's index: at most its age out of date). */
    public static Set<SmartProfile> profiles(KeycloakSession session) {
        return snapshot(session).profiles();
    }

    /** Whether {@code alias} names an identity provider of the realm that is not a SMART tenant. */
    public static boolean isOtherProvider(KeycloakSession session, String alias) {
        IdentityProviderModel model = alias == null || alias.isBlank() || alias.length() > 255 ? null
                : session.identityProviders().getByAlias(alias);
        return model != null && !types(session).containsKey(model.getProviderId());
    }

    /** The profile of a SMART identity-provider type, or null when {@code providerId} is none. */
    public static SmartProfile profile(KeycloakSession session, String providerId) {
        SmartTenantType type = types(session).get(providerId);
        return type == null ? null : type.profile();
    }

    /** The SMART identity-provider types deployed on this server, by provider id. */
    public static Map<String, SmartTenantType> types(KeycloakSession session) {
        return session.getKeycloakSessionFactory().getProviderFactoriesStream(IdentityProvider.class)
                .filter(factory -> factory instanceof SmartTenantType)
                .collect(Collectors.toMap(factory -> factory.getId(), factory -> (SmartTenantType) factory, (a, b) -> a));
    }

    /** The node's index entry for the session's realm; a one-off scan when there is no realm or no index. */
    private static TenantIndex.Snapshot snapshot(KeycloakSession session) {
        RealmModel realm = session.getContext() == null ? null : session.getContext().getRealm();
        TenantIndex index = realm == null ? null : session.getKeycloakSessionFactory()
                .getProviderFactoriesStream(RealmResourceProvider.class)
                .filter(TenantIndex.Holder.class::isInstance)
                .map(factory -> ((TenantIndex.Holder) factory).tenantIndex())
                .findFirst().orElse(null);
        return index == null ? TenantIndex.scan(session) : index.snapshot(session, realm);
    }

    private static Optional<Tenant> tenant(SmartTenantConfig config) {
        return config.fhirBaseUrl().map(base -> new Tenant(config.getAlias(), config.getProviderId(), config.tenantId(), base,
                config.isEnabled() && !Boolean.TRUE.equals(config.isLinkOnly()), config.environment(), config.launchApps()));
    }
}
