package dev.smartbroker.cerner;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.keycloak.Config;
import org.keycloak.broker.provider.AbstractIdentityProviderFactory;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import static dev.smartbroker.cerner.CernerIdentityProviderConfig.*;

/**
 * The "Cerner (Oracle Health) tenant" identity provider type. One instance per tenant: the list of these
 * providers is the allowlist of {@code iss} values the launch entry accepts.
 */
public final class CernerIdentityProviderFactory extends AbstractIdentityProviderFactory<CernerIdentityProvider>
        implements ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "cerner";

    // Declared once; the admin console renders exactly these (plus client id/secret and its generic settings).
    private static final List<ProviderConfigProperty> CONFIG_PROPERTIES = ProviderConfigurationBuilder.create()
            .property().name(FHIR_BASE_URL).label("FHIR base URL (iss)").type(ProviderConfigProperty.STRING_TYPE).required(true)
            .helpText("The tenant's FHIR R4 service root, which PowerChart sends as 'iss'. Code sandbox:"
                    + " https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d. Production:"
                    + " https://fhir-ehr.cerner.com/r4/{tenant id}. Launches whose iss matches no enabled tenant are"
                    + " refused before any network call.").add()
            .property().name(ENVIRONMENT).label("Environment").type(ProviderConfigProperty.LIST_TYPE)
            .options(ENV_SANDBOX, ENV_PRODUCTION).defaultValue(ENV_PRODUCTION)
            .helpText("Production requires https for the FHIR base and every discovered endpoint. Sandbox also allows"
                    + " http on loopback, for a local Cerner simulator.").add()
            .property().name(CLIENT_AUTHENTICATION).label("Client authentication").type(ProviderConfigProperty.LIST_TYPE)
            .options(AUTH_CLIENT_SECRET_BASIC, AUTH_PRIVATE_KEY_JWT).defaultValue(AUTH_CLIENT_SECRET_BASIC)
            .helpText("client_secret_basic: the secret Code Console shows for a Confidential app (enter it as Client"
                    + " secret; a vault reference like ${vault.cerner_secret} works). private_key_jwt: Keycloak signs a"
                    + " client assertion with a realm key; register this realm's JWKS URL"
                    + " (.../realms/{realm}/cerner/jwks) in Cerner Central first.").add()
            .property().name(ASSERTION_ALGORITHM).label("Assertion signing algorithm").type(ProviderConfigProperty.LIST_TYPE)
            .options(ALG_RS384, ALG_ES384).defaultValue(ALG_RS384)
            .helpText("For private_key_jwt and backend services: the realm's active key of this algorithm signs the"
                    + " assertion. Cerner accepts RS384 and ES384 only.").add()
            .property().name(SCOPES).label("Scopes").type(ProviderConfigProperty.STRING_TYPE).required(true)
            .helpText("Space-separated, exactly as ticked in Code Console (API Access), e.g. 'openid fhirUser"
                    + " user/Patient.read user/Encounter.read user/Observation.read'. Must include openid and fhirUser."
                    + " No wildcards: Cerner drops them silently. 'launch' and the access-type scope are added for you.").add()
            .property().name(SMART_VERSION).label("SMART version").type(ProviderConfigProperty.LIST_TYPE)
            .options(SMART_V1, SMART_V2).defaultValue(SMART_V1)
            .helpText("As set in Code Console (SMART Version). v1 scopes end in .read/.write, v2 scopes in .rs, .cruds"
                    + " and the like; Cerner drops scopes of the other syntax.").add()
            .property().name(ACCESS_TYPE).label("Type of access").type(ProviderConfigProperty.LIST_TYPE)
            .options(ACCESS_ONLINE, ACCESS_OFFLINE, ACCESS_NONE).defaultValue(ACCESS_ONLINE)
            .helpText("As registered in Code Console. online: Cerner tokens can be refreshed while the clinician's"
                    + " PowerChart session lives. offline: until revoked or unused for three months. none: no refresh.").add()
            .property().name(PKCE_MODE).label("PKCE").type(ProviderConfigProperty.LIST_TYPE)
            .options(PKCE_ADVERTISED, PKCE_ALWAYS, PKCE_NEVER).defaultValue(PKCE_ADVERTISED)
            .helpText("advertised: send an S256 challenge when the tenant's discovery lists S256 (older tenants did not)."
                    + " always / never override discovery.").add()
            .property().name(LAUNCH_APPS).label("Apps launched through this registration").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
            .helpText("Client ids of the Keycloak apps whose Launch URI is registered with this Code Console app. Cerner"
                    + " allows one Launch URI per registered app: for several apps on one tenant, create one identity"
                    + " provider per registration with the same FHIR base and list each one's apps. Empty: any app.").add()
            .property().name(MIN_REFRESH_INTERVAL_SECONDS).label("Minimum seconds between refreshes").type(ProviderConfigProperty.STRING_TYPE)
            .defaultValue(String.valueOf(DEFAULT_MIN_REFRESH_INTERVAL_SECONDS))
            .helpText("Cerner may throttle a launch refreshing its token more often than once a minute. Within this interval"
                    + " apps get the still-valid token instead of a refresh.").add()
            .property().name(SYSTEM_ACCOUNT_CLIENT_ID).label("System Account client id (backend services)").type(ProviderConfigProperty.STRING_TYPE)
            .helpText("For system/ tokens: the System Account's client id from Cerner Central (System Account Management),"
                    + " where this realm's JWKS URL (.../realms/{realm}/cerner/jwks) is registered.").add()
            .property().name(BACKEND_SERVICES_GRANTS).label("Backend services grants").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
            .helpText("One entry per Keycloak client allowed to get system tokens for this tenant:"
                    + " '<client id>: <system scope> ...', e.g. 'population-health: system/Patient.read system/Observation.read'."
                    + " Requests for other clients or scopes are refused without calling Cerner.").add()
            .property().name(SYSTEM_TOKEN_CACHE).label("Reuse system tokens").type(ProviderConfigProperty.BOOLEAN_TYPE)
            .defaultValue("true")
            .helpText("Reuse a system token for the same scopes until shortly before it expires (570 s at Cerner). Off:"
                    + " every request gets a fresh token.").add()
            .property().name(CONNECT_TIMEOUT_MILLIS).label("Connect timeout (ms)").type(ProviderConfigProperty.STRING_TYPE)
            .defaultValue(String.valueOf(DEFAULT_CONNECT_TIMEOUT_MILLIS))
            .helpText("How long to wait for a connection to Cerner (100 to 60000).").add()
            .property().name(READ_TIMEOUT_MILLIS).label("Read timeout (ms)").type(ProviderConfigProperty.STRING_TYPE)
            .defaultValue(String.valueOf(DEFAULT_READ_TIMEOUT_MILLIS))
            .helpText("How long to wait for Cerner's answer (100 to 60000). A clinician sees a 'Cerner is not"
                    + " answering' page after this.").add()
            .build();

    private CernerServices services;
    private String version;

    @Override
    public String getName() {
        return "Cerner (Oracle Health) tenant";
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public CernerIdentityProvider create(KeycloakSession session, IdentityProviderModel model) {
        return new CernerIdentityProvider(session, new CernerIdentityProviderConfig(model), this);
    }

    @Override
    public CernerIdentityProviderConfig createConfig() {
        return new CernerIdentityProviderConfig();
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG_PROPERTIES;
    }

    @Override
    public void init(Config.Scope config) {
        CernerSettings settings = CernerSettings.from(config);
        this.services = new CernerServices(
                new SmartDiscovery(settings.discoveryCacheSeconds() * 1000, settings.trustedAuthorizationHosts()),
                new CernerJwks(settings.jwksCacheSeconds() * 1000),
                settings,
                new RefreshCoordinator(),
                new SystemTokenCache());
        this.version = implementationVersion();
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    /** The per-node caches and settings, for the other providers of this jar (token API, backend services). */
    CernerServices services() {
        return services;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("version", version);
        info.putAll(services.settings().describe());
        info.put("cached-discovery-documents", String.valueOf(services.discovery().size()));
        info.put("cached-jwks", String.valueOf(services.jwks().size()));
        info.put("cached-system-tokens", String.valueOf(services.systemTokens().size()));
        return info;
    }

    static String implementationVersion() {
        try (InputStream in = CernerIdentityProviderFactory.class.getResourceAsStream("/smart-broker-version.properties")) {
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
