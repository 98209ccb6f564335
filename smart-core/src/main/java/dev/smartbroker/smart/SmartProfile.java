package dev.smartbroker.smart;

import java.util.List;
import java.util.Set;

import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.tenant.FhirBaseUrl;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.token.TokenResponse;

/**
 * What one kind of EHR adds to SMART App Launch, and nothing else: the core does every step of a launch, a refresh
 * and a backend-services token the standard way and asks its tenant's profile only at these points. A profile is an
 * immutable object owned by its identity-provider factory (one per node, built from server settings at start-up).
 *
 * <p>The core never names a vendor; Cerner's rules live in the Cerner profile, and the generic profile follows
 * SMART App Launch 2.x (docs/ehr/smart-app-launch.md) as written.
 */
public interface SmartProfile {

    /** The identity-provider type of this profile's tenants, e.g. {@code cerner}, {@code smart}. */
    String id();

    /**
     * Prefix of event and API error codes for failures at the EHR: {@code cerner} gives {@code cerner_access_denied},
     * {@code cerner_error}; also the prefix of the event details {@code <prefix>_error} and {@code <prefix>_error_urn}.
     */
    String errorPrefix();

    /** The EHR's name on pages ("Cerner"), or null for the tenant's display name or a neutral "the EHR". */
    String ehrName();

    /**
     * The path of the realm's SMART API whose JWKS this profile's tenants register ({@code /realms/{realm}/<path>/jwks}):
     * {@code smart} unless the EHR accepts only some key types and a path of the profile's publishes just those.
     */
    default String apiPath() {
        return "smart";
    }

    /**
     * What to do when the EHR's token endpoint rejected the client's credentials, in the words of its developer console.
     *
     * @param authMethod the tenant's client authentication method
     * @param jwksUrl    the realm JWKS URL the EHR must have registered for {@code private_key_jwt}
     */
    default String clientCredentialsAdvice(String authMethod, String clientId, String jwksUrl) {
        return SmartTenantConfig.AUTH_PRIVATE_KEY_JWT.equals(authMethod)
                ? "The EHR rejected the signed client assertion of client '" + clientId + "': register " + jwksUrl
                        + " as the JWKS URL of that client at the EHR, and check the client id."
                : "The EHR rejected client '" + clientId + "' with this secret: copy the client id and secret again from the"
                        + " EHR's registration of the app.";
    }

    /**
     * Whether an authorize error means the EHR refused the launch value itself (used before, expired, another app's),
     * which the clinician fixes by opening the app from the chart again. SMART defines no code for it: false unless
     * the EHR's error code says so.
     *
     * @param errorCode the profile's {@link #errorCode} of the error's {@code error_uri}, or null
     */
    default boolean rejectsLaunch(String error, String errorCode) {
        return false;
    }

    /** Where an admin registers the realm's JWKS URL for backend services, for error advice. */
    default String keyRegistrationPlace() {
        return "the EHR's registration of the backend client";
    }

    /** What the EHR calls a backend-services client, for error advice. */
    default String backendClientTerm() {
        return "client";
    }

    /** An example FHIR base URL as the EHR's developer console shows it, for the admin's error messages. */
    default String fhirBaseExample() {
        return "https://fhir.example-ehr.org/r4";
    }

    /** Where clinicians open apps ("PowerChart"), or null for a neutral "the EHR". */
    String chartName();

    /** The tenant id that claims, users and events carry. */
    String tenantId(SmartTenantConfig config, FhirBaseUrl fhirBase);

    /**
     * Refuses endpoints a discovery document names that do not belong to the tenant: an attacker who can change the
     * document must not be able to send the broker's credentials elsewhere (docs/ehr/smart-app-launch.md §11).
     */
    void checkEndpoints(SmartConfiguration discovered, FhirBaseUrl fhirBase, SmartTenantConfig config) throws UpstreamException;

    /** Whether this EHR's discovery may omit the authorization endpoint (a tenant only used for backend services). */
    boolean allowsBackendServicesOnly();

    /**
     * The {@code iss} the tenant's id_tokens must carry, or null when the profile checks the issuer's form itself
     * ({@link #acceptsIssuer}).
     */
    String expectedIssuer(SmartTenantConfig config, SmartConfiguration discovered);

    /** For profiles without a fixed issuer: whether {@code issuer} is this tenant's. */
    boolean acceptsIssuer(String issuer, SmartTenantConfig config, SmartConfiguration discovered, FhirBaseUrl fhirBase);

    /** Whether an id_token without {@code kid} may be verified with the one key of its algorithm the JWKS holds. */
    boolean verifiesTokensWithoutKid();

    /** Whether a relative {@code fhirUser} ({@code Practitioner/123}) is resolved against the FHIR base. */
    boolean resolvesRelativeFhirUser();

    /**
     * The clinician's absolute {@code fhirUser} when the id_token names none, from what else the EHR's token response
     * says (Cerner: its bare {@code user} id is a Practitioner), or null.
     */
    String fhirUserFallback(TokenResponse tokenResponse, FhirBaseUrl fhirBase);

    /** Whether a {@code tenant} field in the token response must equal the tenant id. */
    boolean checksTokenResponseTenant();

    /** Whether the broker leaves {@code nonce} out (the EHR is not known to echo it). */
    boolean disablesNonce();

    /** Hosts (or host:port) whose pages may be offered as the EHR's "more information" link. */
    Set<String> moreInformationHosts(SmartTenantConfig config);

    /** A short code from an {@code error_uri} for events (Cerner's URN), or null. */
    String errorCode(String errorUri);

    /** The client authentication methods the EHR's token endpoint may be configured with, default first. */
    List<String> clientAuthenticationMethods();

    /** The algorithms a client assertion may be signed with, default first. */
    List<String> assertionAlgorithms();

    /** Whether the access scopes ({@code online_access}, {@code offline_access}) may be listed among the scopes. */
    boolean allowsAccessScopesInList();

    /** Whether the scopes must include {@code fhirUser} (else {@code profile} will do). */
    boolean requiresFhirUserScope();

    /** What this EHR needs of a configuration beyond the core's checks; each problem says how to fix it. */
    List<String> problems(SmartTenantConfig config);
}
