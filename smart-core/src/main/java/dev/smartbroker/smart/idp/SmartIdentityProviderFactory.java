package dev.smartbroker.smart.idp;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.backend.SystemTokenCache;
import dev.smartbroker.smart.discovery.SmartDiscovery;
import dev.smartbroker.smart.discovery.UpstreamJwks;
import dev.smartbroker.smart.metrics.SmartMetrics;
import dev.smartbroker.smart.support.SpiSettings;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.SmartTenantType;
import dev.smartbroker.smart.tenant.TenantRegistration;
import dev.smartbroker.smart.tenant.Tenants;
import dev.smartbroker.smart.token.SingleFlight;
import org.keycloak.Config;
import org.keycloak.broker.provider.AbstractIdentityProviderFactory;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.representations.idm.ComponentRepresentation;

/**
 * The base of every SMART tenant type: one identity provider per tenant (per EHR registration), and the list of these
 * providers is the allowlist of {@code iss} values the launch entry accepts. A profile's factory supplies its profile,
 * its typed config and its admin form; the core supplies the provider, the per-node caches and the server settings.
 */
public abstract class SmartIdentityProviderFactory extends AbstractIdentityProviderFactory<SmartIdentityProvider>
        implements ServerInfoAwareProviderFactory, SmartTenantType, SmartMetrics.Source {

    private SmartServices services;
    private SmartProfile profile;
    private String version;

    /** The profile of this type, built once at start-up from the type's server settings. */
    protected abstract SmartProfile createProfile(SpiSettings settings);

    /** The names of the server settings the profile reads, besides the core's. */
    protected abstract Set<String> profileSettingNames();

    /** The profile's typed config over a stored provider. */
    protected abstract SmartTenantConfig newConfig(IdentityProviderModel model, SmartProfile profile);

    /** The profile's typed config for a provider being created. */
    protected abstract SmartTenantConfig newConfig(SmartProfile profile);

    /**
     * The SMART identity provider behind {@code alias}, of whatever profile, if it exists and is enabled.
     */
    public static Optional<SmartIdentityProvider> enabledProvider(KeycloakSession session, String alias) {
        IdentityProviderModel model = alias == null || alias.length() > 255 ? null : session.identityProviders().getByAlias(alias);
        if (model == null || !model.isEnabled()) {
            return Optional.empty();
        }
        return Optional.ofNullable(Tenants.types(session).get(model.getProviderId()))
                .filter(SmartIdentityProviderFactory.class::isInstance)
                .map(type -> ((SmartIdentityProviderFactory) type).create(session, model));
    }

    @Override
    public SmartIdentityProvider create(KeycloakSession session, IdentityProviderModel model) {
        return new SmartIdentityProvider(session, config(model), services);
    }

    @Override
    public SmartTenantConfig createConfig() {
        return newConfig(profile);
    }

    @Override
    public SmartTenantConfig config(IdentityProviderModel model) {
        return newConfig(model, profile);
    }

    @Override
    public SmartProfile profile() {
        return profile;
    }

    @Override
    public void init(Config.Scope config) {
        SmartSettings settings = SmartSettings.from(config, getId(), profileSettingNames());
        this.profile = createProfile(settings.spi());
        SmartMetrics metrics = SmartMetrics.from(config);
        this.services = new SmartServices(new SmartDiscovery(settings.discoveryCacheSeconds() * 1000, metrics),
                new UpstreamJwks(settings.jwksCacheSeconds() * 1000, metrics), settings, new SingleFlight(), new SystemTokenCache(), metrics);
        this.version = implementationVersion();
    }

    private static final String CLIENT_SECRET = "clientSecret";

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void checkOnSave(SmartTenantConfig config, KeycloakSession session, RealmModel realm) {
        if (!Boolean.parseBoolean(config.getConfig().get(TenantRegistration.CHECK_ON_SAVE))) {
            return;
        }
        ConnectionCheck.Result result = new ConnectionCheck(session, realm, withStoredSecret(config, session), services).run();
        if (!result.ok()) {
            throw new IllegalArgumentException("Connection check failed, nothing was saved. " + result.advice() + " ("
                    + result.steps().stream().filter(step -> !step.ok()).findFirst().map(ConnectionCheck.Step::detail).orElse("")
                    + ")");
        }
        config.getConfig().put(TenantRegistration.CHECK_RESULT, result.summary());
    }

    /**
     * The configuration as it will be stored: an update that sends the client secret back masked, as Keycloak's admin
     * API shows it ({@code **********}, e.g. {@code kcadm.sh update}), keeps the stored secret, and so must the check;
     * Keycloak puts the stored secret back only after validation.
     */
    private SmartTenantConfig withStoredSecret(SmartTenantConfig config, KeycloakSession session) {
        if (!ComponentRepresentation.SECRET_VALUE.equals(config.getConfig().get(CLIENT_SECRET)) || config.getAlias() == null) {
            return config;
        }
        IdentityProviderModel stored = session.identityProviders().getByAlias(config.getAlias());
        if (stored == null || stored.getConfig() == null || stored.getConfig().get(CLIENT_SECRET) == null) {
            return config;
        }
        IdentityProviderModel unmasked = new IdentityProviderModel(config);
        unmasked.setConfig(new java.util.HashMap<>(config.getConfig()));
        unmasked.getConfig().put(CLIENT_SECRET, stored.getConfig().get(CLIENT_SECRET));
        return config(unmasked);
    }

    /** The per-node caches and settings of this type. */
    public SmartServices services() {
        return services;
    }

    @Override
    public SmartMetrics metrics() {
        return services == null ? SmartMetrics.off() : services.metrics();
    }

    /** The profile's own effective settings, for the server info page. */
    protected Map<String, String> describeProfileSettings() {
        return Map.of();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("version", version);
        info.put("profile", profile.id());
        info.putAll(services.settings().describe());
        info.putAll(describeProfileSettings());
        info.put("cached-discovery-documents", String.valueOf(services.discovery().size()));
        info.put("cached-jwks", String.valueOf(services.jwks().size()));
        info.put("cached-system-tokens", String.valueOf(services.systemTokens().size()));
        return info;
    }

    static String implementationVersion() {
        try (InputStream in = SmartIdentityProviderFactory.class.getResourceAsStream("/smart-broker-version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
