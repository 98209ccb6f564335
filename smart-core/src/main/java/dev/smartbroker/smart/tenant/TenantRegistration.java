package dev.smartbroker.smart.tenant;

import java.net.URI;
import java.util.List;
import java.util.stream.Stream;

import jakarta.ws.rs.core.UriBuilder;

import dev.smartbroker.smart.Smart;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.IdentityProviderSyncMode;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.urls.UrlType;

/**
 * What an integration engineer registers at the EHR for one tenant, and the settings every SMART tenant gets when it is
 * saved. The URLs are Keycloak's public (frontend) URLs of the realm, as the EHR and the clinician's browser reach it.
 *
 * <p>They are written into the tenant's configuration on every save, so the admin console shows them as links on the
 * tenant's page (Keycloak's admin form has no computed read-only fields); what an admin might type there is replaced.
 */
public final class TenantRegistration {

    /** Config key: the SMART Launch URI of the tenant's app (the first, when it has several). */
    public static final String LAUNCH_URI = "registrationLaunchUri";
    /** Config key: the realm JWKS URL to register for {@code private_key_jwt} and backend services. */
    public static final String JWKS_URL = "registrationJwksUrl";

    /** Config key: whether saving the tenant from the admin console or REST first checks its connection. */
    public static final String CHECK_ON_SAVE = "connectionCheckOnSave";
    /** Config key: the last connection check's one-line result, written by the check. */
    public static final String CHECK_RESULT = "connectionCheckResult";

    /** The URLs to register, computed from the realm's public URL. */
    public record Urls(String redirectUri, List<String> launchUris, String jwksUrl) {
    }

    private TenantRegistration() {
    }

    public static Urls of(KeycloakSession session, RealmModel realm, SmartTenantConfig config) {
        URI base = session.getContext().getUri(UrlType.FRONTEND).getBaseUri();
        String redirect = realmUri(base, realm).path("broker").path(config.getAlias()).path("endpoint").build().toString();
        List<String> launchUris = launchApps(realm, config)
                .map(clientId -> realmUri(base, realm).path(Smart.LAUNCH_URI_PATH).path(clientId).build().toString())
                .toList();
        String jwks = realmUri(base, realm).path(config.profile().apiPath()).path("jwks").build().toString();
        return new Urls(redirect, launchUris, jwks);
    }

    /** The apps this tenant launches: those it lists, else every launchable app of the realm, by client id. */
    private static Stream<String> launchApps(RealmModel realm, SmartTenantConfig config) {
        if (!config.launchApps().isEmpty()) {
            return config.launchApps().stream().sorted();
        }
        return realm.getClientsStream().filter(TenantRegistration::isLaunchable).map(ClientModel::getClientId).sorted().limit(50);
    }

    private static boolean isLaunchable(ClientModel client) {
        return Stream.concat(client.getClientScopes(true).values().stream(), client.getClientScopes(false).values().stream())
                .flatMap(ClientScopeModel::getProtocolMappersStream)
                .anyMatch(m -> Smart.LAUNCH_CONTEXT_MAPPER.equals(m.getProtocolMapper()));
    }

    private static UriBuilder realmUri(URI base, RealmModel realm) {
        return UriBuilder.fromUri(base).path("realms").path(realm.getName());
    }

    /**
     * The settings every SMART tenant has, whatever a form, REST call or import left out: never on the login page (a
     * tenant is reached by launch only), names taken from the EHR on every launch unless the admin chose a sync mode,
     * the FHIR base in its canonical form, and the URLs to register.
     */
    static void applyOnSave(SmartTenantConfig config, KeycloakSession session, RealmModel realm) {
        config.setHideOnLogin(true);
        if (config.getConfig().get(IdentityProviderModel.SYNC_MODE) == null) {
            config.setSyncMode(IdentityProviderSyncMode.FORCE);
        }
        config.fhirBaseUrl().ifPresent(base -> config.getConfig().put(SmartTenantConfig.FHIR_BASE_URL, base.value()));
        Urls urls;
        try {
            urls = of(session, realm, config);
        } catch (RuntimeException e) {
            // A realm import at start-up has no request, hence no public URL: the next save from the console fills them.
            return;
        }
        if (urls.launchUris().isEmpty()) {
            config.getConfig().remove(LAUNCH_URI);
        } else {
            config.getConfig().put(LAUNCH_URI, urls.launchUris().get(0));
        }
        config.getConfig().put(JWKS_URL, urls.jwksUrl());
    }

    /** Whether this save comes from the admin console or admin REST, rather than a realm import at start-up. */
    static boolean isAdminRequest(KeycloakSession session) {
        try {
            String path = session.getContext().getUri().getPath();
            return path != null && path.contains("/admin/realms/");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
