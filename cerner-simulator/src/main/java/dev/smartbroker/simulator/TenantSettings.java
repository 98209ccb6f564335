package dev.smartbroker.simulator;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Per-tenant switches, mutable at runtime (tests, admin API). Where Cerner's behaviour is UNCONFIRMED in the fact
 * sheet, the default is the stricter choice.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TenantSettings {

    /** expires_in of access tokens: 570 s at Cerner (cerner-smart-facts §2.5). */
    public volatile int accessTokenLifetimeSeconds = 570;
    /** Authorization code lifetime (UNCONFIRMED at Cerner). */
    public volatile int codeLifetimeSeconds = 60;
    /** Launch lifetime (UNCONFIRMED at Cerner). */
    public volatile int launchLifetimeSeconds = 300;
    /** List S256 in code_challenge_methods_supported (newer tenants do, older did not: §1.3). */
    public volatile boolean advertisePkce = true;
    /** Reject authorize requests without a PKCE challenge (UNCONFIRMED: off). */
    public volatile boolean requirePkce = false;
    /** Echo nonce in the id_token (UNCONFIRMED: off, the stricter assumption for clients). */
    public volatile boolean echoNonce = false;
    /** Accept aud with a trailing slash difference (UNCONFIRMED: strict). */
    public volatile boolean lenientAudTrailingSlash = false;
    /** Accept the token path without hosts/ (older docs): off, discovery names the hosts/ form. */
    public volatile boolean acceptLegacyTokenPath = false;
    /** "once" per user and app, or "always". */
    public volatile String consent = "once";
    /** When > 0, a refresh within this many seconds of the previous one of that refresh token is refused. */
    public volatile int refreshThrottleSeconds = 0;
    /** Serve .well-known/smart-configuration (false: 404, clients must use /metadata). */
    public volatile boolean serveWellKnown = true;
    /** After a key rotation the new kid signs at once but appears in /jwk this much later (§2.7). */
    public volatile int keyPublishDelaySeconds = 0;
    /** Clock skew accepted on client assertions. */
    public volatile int clockSkewSeconds = 60;

    public TenantSettings copy() {
        TenantSettings c = new TenantSettings();
        c.update(this);
        return c;
    }

    public void update(TenantSettings o) {
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
    }
}
