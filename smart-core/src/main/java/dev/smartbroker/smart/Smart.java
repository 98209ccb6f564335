package dev.smartbroker.smart;

/**
 * SMART on FHIR vocabulary and the notes a launch keeps, in one place.
 *
 * <p>Protocol names (parameters, token-response fields, claims) are kept apart from the keys we use for
 * Keycloak session notes and single-use records, which are namespaced with {@code smart.} so that they
 * never collide with Keycloak's own notes.
 */
public final class Smart {

    private Smart() {
    }

    // --- SMART App Launch parameters (HL7 app-launch.md; docs/ehr/cerner.md §2.1, §2.2) ---
    public static final String ISS = "iss";
    public static final String LAUNCH = "launch";
    public static final String AUD = "aud";

    // --- Paths and provider ids the launch module serves, which admins register at the EHR ---
    /** {@code /realms/{realm}/smart-launch/{client_id}}: the SMART Launch URI of an app. */
    public static final String LAUNCH_URI_PATH = "smart-launch";
    /** The "SMART launch context" protocol mapper: a client whose scopes carry it can be launched. */
    public static final String LAUNCH_CONTEXT_MAPPER = "smart-launch-context-mapper";

    // --- Scopes ---
    public static final String SCOPE_LAUNCH = "launch";
    public static final String SCOPE_OPENID = "openid";
    public static final String SCOPE_FHIR_USER = "fhirUser";
    public static final String SCOPE_PROFILE = "profile";
    public static final String SCOPE_ONLINE_ACCESS = "online_access";
    public static final String SCOPE_OFFLINE_ACCESS = "offline_access";

    // --- Token response fields Cerner sends (docs/ehr/cerner.md §2.5) ---
    public static final String PATIENT = "patient";
    public static final String ENCOUNTER = "encounter";
    public static final String TENANT = "tenant";
    public static final String USER = "user";
    public static final String USERNAME = "username";
    public static final String NEED_PATIENT_BANNER = "need_patient_banner";
    public static final String SMART_STYLE_URL = "smart_style_url";

    // --- id_token claims (docs/ehr/cerner.md §2.7) ---
    public static final String FHIR_USER = "fhirUser";
    public static final String PROFILE = "profile";

    // --- Claims we add to Keycloak tokens ---
    /** Opaque id of the launch a Keycloak token belongs to; binds refreshes, userinfo and the token API to it. */
    public static final String CLAIM_LAUNCH_ID = "smart_launch";
    /** Default claim name for the tenant's FHIR base URL. */
    public static final String CLAIM_FHIR_BASE = "fhir_base";

    // --- Keycloak note and record keys (never protocol names) ---
    /** Auth-session client note: the SMART tenant (identity provider) alias that serves this launch. */
    public static final String NOTE_IDP_ALIAS = "smart.idp";
    /** Auth-session client note: {@code iss} exactly as the EHR sent it (sent back upstream as {@code aud}). */
    public static final String NOTE_ISS = "smart.iss";
    /** Auth-session client note: the opaque EHR launch value, removed as soon as the callback ran. */
    public static final String NOTE_LAUNCH = "smart.launch";
    /** Client-session note prefix: one sealed record per launch, {@code smart.launch.<launch id>}. */
    public static final String NOTE_LAUNCH_RECORD_PREFIX = "smart.launch.";
    /** Single-use record prefix binding an authorization request (its PKCE challenge) to a launch id. */
    public static final String RECORD_BINDING_PREFIX = "smart.bind.";
    /** Single-use record prefix for launches received at the Launch URI and not yet claimed by the app. */
    public static final String RECORD_PENDING_PREFIX = "smart.pending.";

    // --- Event details ---
    public static final String DETAIL_TENANT = "smart_tenant";
    public static final String DETAIL_ENVIRONMENT = "smart_environment";
    public static final String DETAIL_LAUNCH_MODE = "smart_launch_mode";
}
