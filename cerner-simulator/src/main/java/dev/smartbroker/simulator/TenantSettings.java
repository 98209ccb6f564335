package dev.smartbroker.simulator;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Per-tenant switches, mutable at runtime (assign a field in a test, or PUT /admin/tenants/{id}/settings); a change
 * applies to the next request. Where Cerner's behaviour is UNCONFIRMED in docs/ehr/cerner.md, the default is the
 * stricter choice, so that a client that works here does not rely on leniency.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TenantSettings {

    /** expires_in of access tokens, user and system: 570 s at Cerner (docs/ehr/cerner.md §2.5). */
    public volatile int accessTokenLifetimeSeconds = 570;
    /** Authorization code lifetime (UNCONFIRMED at Cerner, §8.1). */
    public volatile int codeLifetimeSeconds = 60;
    /** Launch lifetime (UNCONFIRMED at Cerner, §8.1). Launches are single-use whatever this says. */
    public volatile int launchLifetimeSeconds = 300;
    /** List S256 in code_challenge_methods_supported (newer tenants do, older ones did not: §1.3). */
    public volatile boolean advertisePkce = true;
    /** Reject authorize requests without a PKCE challenge (UNCONFIRMED, §8.2: off). */
    public volatile boolean requirePkce = false;
    /** Echo nonce in the id_token (UNCONFIRMED, §2.7: off, the stricter assumption for clients). */
    public volatile boolean echoNonce = false;
    /** Accept an aud that differs from the FHIR base only by trailing slashes (UNCONFIRMED, §2.2: strict). */
    public volatile boolean lenientAudTrailingSlash = false;
    /** Accept the token path without hosts/ of Cerner's older docs (§1.2): off, discovery names the hosts/ form. */
    public volatile boolean acceptLegacyTokenPath = false;
    /** "once" per user, tenant and app, or "always". */
    public volatile String consent = "once";
    /** When > 0, a refresh within this many seconds of the previous refresh of that refresh token is refused (§2.8). */
    public volatile int refreshThrottleSeconds = 0;
    /** Serve .well-known/smart-configuration; false answers 404, so that clients must fall back to /metadata (§1.4). */
    public volatile boolean serveWellKnown = true;
    /** After a key rotation the new kid signs at once but appears in /jwk only this much later (§2.7). */
    public volatile int keyPublishDelaySeconds = 0;
    /** Clock skew accepted on client assertion exp and iat (UNCONFIRMED, §3.2). */
    public volatile int clockSkewSeconds = 60;
    /** The id_token carries {@code name} and {@code email} (§2.7); false leaves them out, as an identity provider that does not release them. */
    public volatile boolean idTokenName = true;
    /**
     * Generic tenants only (a Cerner tenant ignores it): a SMART Backend Services server. Discovery names no
     * authorization_endpoint and only client_credentials with private_key_jwt; authorize answers 404, the launcher
     * leaves the tenant out, and only signed-JWT client assertions authenticate at the token endpoint.
     */
    public volatile boolean backendServicesOnly = false;

    public TenantSettings copy() {
        TenantSettings c = new TenantSettings();
        c.update(this);
        return c;
    }

    /** Takes every value of {@code o}. */
    public void update(TenantSettings o) {
        if (!"once".equals(o.consent) && !"always".equals(o.consent)) {
            throw new IllegalArgumentException("consent must be once or always: " + o.consent);
        }
        accessTokenLifetimeSeconds = o.accessTokenLifetimeSeconds;
        codeLifetimeSeconds = o.codeLifetimeSeconds;
        launchLifetimeSeconds = o.launchLifetimeSeconds;
        advertisePkce = o.advertisePkce;
        requirePkce = o.requirePkce;
        echoNonce = o.echoNonce;
        lenientAudTrailingSlash = o.lenientAudTrailingSlash;
        acceptLegacyTokenPath = o.acceptLegacyTokenPath;
        consent = o.consent;
        refreshThrottleSeconds = o.refreshThrottleSeconds;
        serveWellKnown = o.serveWellKnown;
        keyPublishDelaySeconds = o.keyPublishDelaySeconds;
        clockSkewSeconds = o.clockSkewSeconds;
        idTokenName = o.idTokenName;
        backendServicesOnly = o.backendServicesOnly;
    }
}
