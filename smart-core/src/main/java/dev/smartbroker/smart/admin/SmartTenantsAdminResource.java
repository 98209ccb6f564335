package dev.smartbroker.smart.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.smartbroker.smart.idp.ConnectionCheck;
import dev.smartbroker.smart.idp.SmartIdentityProviderFactory;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.SmartTenantType;
import dev.smartbroker.smart.tenant.TenantRegistration;
import dev.smartbroker.smart.tenant.Tenants;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * {@code /admin/realms/{realm}/smart-tenants}: what the admin console cannot show for a SMART tenant, for integration
 * engineers and scripts (admin REST, {@code kcadm.sh}), with Keycloak's own identity-provider permissions:
 * <ul>
 *   <li>{@code GET {alias}/registration}: the URLs to register at the EHR (view identity providers);</li>
 *   <li>{@code POST {alias}/connection-check}: the connection check of the stored tenant, step by step (manage
 *       identity providers, since it calls the EHR with the tenant's credentials).</li>
 * </ul>
 */
public final class SmartTenantsAdminResource {

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;

    SmartTenantsAdminResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
    }

    @GET
    @Path("{alias}/registration")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> registration(@PathParam("alias") String alias) {
        auth.realm().requireViewIdentityProviders();
        SmartTenantConfig config = tenant(alias);
        TenantRegistration.Urls urls = TenantRegistration.of(session, realm, config);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("alias", config.getAlias());
        body.put("providerId", config.getProviderId());
        body.put("fhirBaseUrl", config.fhirBaseUrl().map(b -> b.value()).orElse(null));
        body.put("redirectUri", urls.redirectUri());
        body.put("launchUris", urls.launchUris());
        body.put("jwksUrl", urls.jwksUrl());
        body.put("clientAuthentication", config.clientAuthentication());
        config.systemAccountClientId().ifPresent(id -> body.put("systemAccountClientId", id));
        return body;
    }

    @POST
    @Path("{alias}/connection-check")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> connectionCheck(@PathParam("alias") String alias) {
        auth.realm().requireManageIdentityProviders();
        SmartTenantConfig config = tenant(alias);
        SmartTenantType type = Tenants.types(session).get(config.getProviderId());
        ConnectionCheck.Result result = new ConnectionCheck(session, realm, config,
                ((SmartIdentityProviderFactory) type).services()).run();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("alias", config.getAlias());
        body.put("ok", result.ok());
        body.put("checkedAt", result.checkedAtMillis());
        List<Map<String, Object>> steps = result.steps().stream().map(step -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("step", step.name());
            s.put("ok", step.ok());
            s.put("detail", step.detail());
            if (step.advice() != null) {
                s.put("advice", step.advice());
            }
            return s;
        }).toList();
        body.put("steps", steps);
        if (!result.ok()) {
            body.put("advice", result.advice());
        }
        body.put("summary", result.summary());
        return body;
    }

    private SmartTenantConfig tenant(String alias) {
        IdentityProviderModel model = alias == null || alias.length() > 255 ? null : session.identityProviders().getByAlias(alias);
        Optional<SmartTenantConfig> config = model == null ? Optional.empty() : Tenants.config(session, alias);
        if (config.isEmpty() || !(Tenants.types(session).get(config.get().getProviderId()) instanceof SmartIdentityProviderFactory)) {
            throw new NotFoundException("No SMART tenant with this alias");
        }
        return config.get();
    }
}
