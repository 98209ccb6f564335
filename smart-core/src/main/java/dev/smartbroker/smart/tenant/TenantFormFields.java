package dev.smartbroker.smart.tenant;

import static dev.smartbroker.smart.tenant.SmartTenantConfig.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.smartbroker.smart.SmartProfile;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * The admin form of a SMART tenant type, declared once: the fields every profile shares, with the options its profile
 * allows, in the order an admin fills them in with the EHR's developer console open beside. A profile rewords the help
 * texts in its EHR's terms and may add fields of its own.
 */
public final class TenantFormFields {

    private static final String REGISTRATION_HELP = "Copy this into the EHR's registration of the app. Computed from this"
            + " realm's public URL each time the tenant is saved; what you type here is replaced.";

    private final SmartProfile profile;
    private final Map<String, ProviderConfigProperty> fields = new LinkedHashMap<>();

    private TenantFormFields(SmartProfile profile) {
        this.profile = profile;
        // Written on every save (TenantRegistration), to copy from the tenant's page. Plain text fields: Keycloak 26.7's
        // read-only link type reads the value from the wrong place of the form and shows no URL.
        add(TenantRegistration.LAUNCH_URI, "SMART Launch URI to register (filled in on save)", ProviderConfigProperty.STRING_TYPE, null,
                false, REGISTRATION_HELP);
        add(TenantRegistration.JWKS_URL, "JWKS URL to register for signed JWT and backend services (filled in on save)",
                ProviderConfigProperty.STRING_TYPE, null, false, REGISTRATION_HELP);
        add(FHIR_BASE_URL, "FHIR base URL (iss)", ProviderConfigProperty.STRING_TYPE, null, true,
                "The tenant's FHIR R4 service root, which the EHR sends as 'iss'. Launches whose iss matches no enabled"
                        + " tenant are refused before any network call.");
        add(ENVIRONMENT, "Environment", ProviderConfigProperty.LIST_TYPE, ENV_PRODUCTION, false,
                "Production requires https for the FHIR base and every discovered endpoint. Sandbox also allows http on"
                        + " loopback, for a local simulator.", ENV_SANDBOX, ENV_PRODUCTION);
        add(CLIENT_AUTHENTICATION, "Client authentication", ProviderConfigProperty.LIST_TYPE, AUTH_CLIENT_SECRET_BASIC, false,
                "How Keycloak authenticates to the EHR's token endpoint: with the Client secret, or (private_key_jwt) with an"
                        + " assertion signed by a realm key whose JWKS URL (shown above once saved) is registered at the EHR. With"
                        + " private_key_jwt, type any placeholder into Keycloak's Client Secret field (the form requires one): it"
                        + " is never sent.",
                profile.clientAuthenticationMethods().toArray(String[]::new));
        add(ASSERTION_ALGORITHM, "Assertion signing algorithm", ProviderConfigProperty.LIST_TYPE, ALG_RS384, false,
                "For private_key_jwt and backend services: the realm's active key of this algorithm signs the assertion.",
                profile.assertionAlgorithms().toArray(String[]::new));
        add(SCOPES, "SMART scopes", ProviderConfigProperty.STRING_TYPE, null, true,
                "Space-separated, exactly as registered for the app, e.g. 'openid fhirUser user/Patient.read'. No wildcards."
                        + " 'launch' and the access-type scope are added for you. (Keycloak's 'Scopes' field under Advanced"
                        + " settings is not used: leave it empty.)");
        add(SMART_VERSION, "SMART version", ProviderConfigProperty.LIST_TYPE, SMART_V1, false,
                "The scope syntax of the registration: v1 scopes end in .read/.write, v2 scopes in .rs, .cruds and the like.",
                SMART_V1, SMART_V2);
        add(ACCESS_TYPE, "Type of access", ProviderConfigProperty.LIST_TYPE, ACCESS_ONLINE, false,
                "online: tokens can be refreshed while the clinician's EHR session lives. offline: until revoked. none: no"
                        + " refresh.", ACCESS_ONLINE, ACCESS_OFFLINE, ACCESS_NONE);
        add(PKCE_MODE, "PKCE", ProviderConfigProperty.LIST_TYPE, PKCE_ADVERTISED, false,
                "advertised: send an S256 challenge when the tenant's discovery lists S256. always / never override discovery.",
                PKCE_ADVERTISED, PKCE_ALWAYS, PKCE_NEVER);
        add(LAUNCH_APPS, "Apps launched through this registration", ProviderConfigProperty.MULTIVALUED_STRING_TYPE, null, false,
                "Client ids of the Keycloak apps whose Launch URI this registration has. For several registrations of one"
                        + " tenant, create one identity provider per registration with the same FHIR base and list each one's"
                        + " apps (the lists must not overlap). Empty: any app.");
        add(MIN_REFRESH_INTERVAL_SECONDS, "Minimum seconds between refreshes", ProviderConfigProperty.STRING_TYPE,
                String.valueOf(DEFAULT_MIN_REFRESH_INTERVAL_SECONDS), false,
                "Within this interval apps get the still-valid token instead of a refresh.");
        add(SYSTEM_ACCOUNT_CLIENT_ID, "Backend services client id", ProviderConfigProperty.STRING_TYPE, null, false,
                "For system/ tokens: the client id the EHR registered for backend services, whose JWKS URL is this realm's"
                        + " (.../realms/{realm}/smart/jwks).");
        add(BACKEND_SERVICES_GRANTS, "Backend services grants", ProviderConfigProperty.MULTIVALUED_STRING_TYPE, null, false,
                "One entry per Keycloak client allowed to get system tokens for this tenant: '<client id>: <system scope> ...',"
                        + " e.g. 'population-health: system/Patient.read system/Observation.read'. Other clients and scopes are"
                        + " refused without calling the EHR.");
        add(SYSTEM_TOKEN_CACHE, "Reuse system tokens", ProviderConfigProperty.BOOLEAN_TYPE, "true", false,
                "Reuse a system token for the same scopes until shortly before it expires. Off: every request gets a fresh token.");
        add(CONNECT_TIMEOUT_MILLIS, "Connect timeout (ms)", ProviderConfigProperty.STRING_TYPE,
                String.valueOf(DEFAULT_CONNECT_TIMEOUT_MILLIS), false, "How long to wait for a connection to the EHR (100 to 60000).");
        add(READ_TIMEOUT_MILLIS, "Read timeout (ms)", ProviderConfigProperty.STRING_TYPE, String.valueOf(DEFAULT_READ_TIMEOUT_MILLIS),
                false, "How long to wait for the EHR's answer (100 to 60000). A clinician sees a 'not answering' page after this.");
        add(TenantRegistration.CHECK_ON_SAVE, "Check the connection when saving", ProviderConfigProperty.BOOLEAN_TYPE, "true", false,
                "On Add or Save, first check the tenant's discovery, the EHR's keys, the client's credentials (with a test"
                        + " code nothing is granted for) and, when configured, a backend-services token. A failed check"
                        + " refuses the save with what to fix, so a working tenant is never replaced by a broken one.");
        add(TenantRegistration.CHECK_RESULT, "Last connection check", ProviderConfigProperty.TEXT_TYPE, null, false,
                "Written by the check on each save; what you type here is replaced.");
    }

    /** The shared fields, with the options {@code profile} allows. */
    public static TenantFormFields of(SmartProfile profile) {
        return new TenantFormFields(profile);
    }

    /** Rewords a field's help text (and label, when not null) in the EHR's terms. */
    public TenantFormFields reword(String name, String label, String helpText) {
        ProviderConfigProperty field = fields.get(name);
        if (field == null) {
            throw new IllegalArgumentException("no field " + name);
        }
        if (label != null) {
            field.setLabel(label);
        }
        field.setHelpText(helpText);
        return this;
    }

    /** Adds a field of the profile's own right after {@code after}. */
    public TenantFormFields insertAfter(String after, String name, String label, String type, String defaultValue, boolean required,
                                        String helpText, String... options) {
        Map<String, ProviderConfigProperty> reordered = new LinkedHashMap<>();
        for (Map.Entry<String, ProviderConfigProperty> entry : fields.entrySet()) {
            reordered.put(entry.getKey(), entry.getValue());
            if (entry.getKey().equals(after)) {
                reordered.put(name, property(name, label, type, defaultValue, required, helpText, options));
            }
        }
        fields.clear();
        fields.putAll(reordered);
        return this;
    }

    public List<ProviderConfigProperty> build() {
        return List.copyOf(new ArrayList<>(fields.values()));
    }

    private void add(String name, String label, String type, String defaultValue, boolean required, String helpText, String... options) {
        fields.put(name, property(name, label, type, defaultValue, required, helpText, options));
    }

    private static ProviderConfigProperty property(String name, String label, String type, String defaultValue, boolean required,
                                                   String helpText, String... options) {
        ProviderConfigProperty property = new ProviderConfigProperty(name, label, helpText, type, defaultValue);
        property.setRequired(required);
        if (options.length > 0) {
            property.setOptions(List.of(options));
        }
        return property;
    }
}
