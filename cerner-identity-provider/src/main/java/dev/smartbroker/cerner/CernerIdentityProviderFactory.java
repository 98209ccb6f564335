package dev.smartbroker.cerner;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.smartbroker.smart.SmartProfile;
import dev.smartbroker.smart.idp.SmartIdentityProviderFactory;
import dev.smartbroker.smart.support.SpiSettings;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.TenantFormFields;
import dev.smartbroker.smart.tenant.TenantRegistration;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * The "Cerner (Oracle Health) tenant" identity provider type: a SMART tenant with the Cerner profile. Its admin form
 * speaks Code Console's language, so that an integration engineer can copy field by field.
 */
public final class CernerIdentityProviderFactory extends SmartIdentityProviderFactory {

    public static final String PROVIDER_ID = CernerProfile.PROVIDER_ID;
    static final String TRUSTED_HOSTS = "trusted-authorization-hosts";
    static final String DEFAULT_TRUSTED_HOSTS = "authorization.cerner.com,authorization.sandboxcerner.com";

    private List<ProviderConfigProperty> properties;

    @Override
    public String getName() {
        return "Cerner (Oracle Health) tenant";
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    protected Set<String> profileSettingNames() {
        return Set.of(TRUSTED_HOSTS);
    }

    @Override
    protected SmartProfile createProfile(SpiSettings settings) {
        CernerProfile profile = profile(settings.get(TRUSTED_HOSTS, DEFAULT_TRUSTED_HOSTS));
        this.properties = form(profile);
        return profile;
    }

    static CernerProfile profile(String trustedHosts) {
        return new CernerProfile(Arrays.stream(trustedHosts.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet()));
    }

    @Override
    protected Map<String, String> describeProfileSettings() {
        return Map.of(TRUSTED_HOSTS, String.join(",", ((CernerProfile) profile()).trustedAuthorizationHosts().stream().sorted().toList()));
    }

    @Override
    protected SmartTenantConfig newConfig(IdentityProviderModel model, SmartProfile profile) {
        return new CernerIdentityProviderConfig(model, profile);
    }

    @Override
    protected SmartTenantConfig newConfig(SmartProfile profile) {
        return new CernerIdentityProviderConfig(profile);
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return properties == null ? form(new CernerProfile(Set.of())) : properties;
    }

    /** Code Console's terms for every field (docs/ehr/cerner.md). */
    static List<ProviderConfigProperty> form(CernerProfile profile) {
        return TenantFormFields.of(profile)
                .reword(FHIR_BASE_URL, null, "The tenant's FHIR R4 service root, which PowerChart sends as 'iss'. Code sandbox:"
                        + " https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d. Production:"
                        + " https://fhir-ehr.cerner.com/r4/{tenant id}. Launches whose iss matches no enabled tenant are"
                        + " refused before any network call.")
                .reword(ENVIRONMENT, null, "Production requires https for the FHIR base and every discovered endpoint. Sandbox"
                        + " also allows http on loopback, for a local Cerner simulator.")
                .reword(CLIENT_AUTHENTICATION, null, "client_secret_basic: the secret Code Console shows for a Confidential app"
                        + " (enter it as Client secret; a vault reference like ${vault.cerner_secret} works). private_key_jwt:"
                        + " Keycloak signs a client assertion with a realm key; register this realm's JWKS URL"
                        + " (shown above once saved, .../realms/{realm}/cerner/jwks) in Code Console first, and type any"
                        + " placeholder into Keycloak's Client Secret field (the form requires one; it is never sent).")
                .reword(ASSERTION_ALGORITHM, null, "For private_key_jwt and backend services: the realm's active key of this"
                        + " algorithm signs the assertion. Cerner accepts RS384 and ES384 only.")
                .reword(SCOPES, null, "Space-separated, exactly as ticked in Code Console (API Access), e.g. 'openid fhirUser"
                        + " user/Patient.read user/Encounter.read user/Observation.read'. Must include openid and fhirUser."
                        + " No wildcards: Cerner drops them silently. 'launch' and the access-type scope are added for you."
                        + " (Keycloak's 'Scopes' field under Advanced settings is not used: leave it empty.)")
                .reword(TenantRegistration.LAUNCH_URI, "SMART Launch URI for Code Console (filled in on save)", "Paste it as the"
                        + " app's SMART Launch URI in Code Console. Computed from this realm's public URL each time the tenant is"
                        + " saved; what you type here is replaced.")
                .reword(TenantRegistration.JWKS_URL, "JWKS URL for Code Console and Cerner Central (filled in on save)", "For"
                        + " private_key_jwt: the app's JWKS URL in Code Console; for backend services: the System Account's in"
                        + " Cerner Central. Computed on each save; what you type here is replaced.")
                .reword(SMART_VERSION, null, "As set in Code Console (SMART Version). v1 scopes end in .read/.write, v2 scopes"
                        + " in .rs, .cruds and the like; Cerner drops scopes of the other syntax.")
                .reword(ACCESS_TYPE, null, "As registered in Code Console. online: Cerner tokens can be refreshed while the"
                        + " clinician's PowerChart session lives. offline: until revoked or unused for three months. none: no refresh.")
                .reword(PKCE_MODE, null, "advertised: send an S256 challenge when the tenant's discovery lists S256 (older"
                        + " tenants did not). always / never override discovery.")
                .reword(LAUNCH_APPS, null, "Client ids of the Keycloak apps whose Launch URI is registered with this Code Console"
                        + " app. Cerner allows one Launch URI per registered app: for several apps on one tenant, create one"
                        + " identity provider per registration with the same FHIR base and list each one's apps (the lists"
                        + " must not overlap). Empty: any app.")
                .reword(MIN_REFRESH_INTERVAL_SECONDS, null, "Cerner may throttle a launch refreshing its token more often than"
                        + " once a minute. Within this interval apps get the still-valid token instead of a refresh.")
                .reword(SYSTEM_ACCOUNT_CLIENT_ID, "System Account client id (backend services)", "For system/ tokens: the System"
                        + " Account's client id from Cerner Central (System Account Management), where this realm's JWKS URL"
                        + " (.../realms/{realm}/cerner/jwks) is registered.")
                .reword(BACKEND_SERVICES_GRANTS, null, "One entry per Keycloak client allowed to get system tokens for this"
                        + " tenant: '<client id>: <system scope> ...', e.g. 'population-health: system/Patient.read"
                        + " system/Observation.read'. Requests for other clients or scopes are refused without calling Cerner.")
                .reword(SYSTEM_TOKEN_CACHE, null, "Reuse a system token for the same scopes until shortly before it expires (570 s"
                        + " at Cerner). Off: every request gets a fresh token.")
                .reword(CONNECT_TIMEOUT_MILLIS, null, "How long to wait for a connection to Cerner (100 to 60000).")
                .reword(READ_TIMEOUT_MILLIS, null, "How long to wait for Cerner's answer (100 to 60000). A clinician sees a"
                        + " 'Cerner is not answering' page after this.")
                .build();
    }
}
