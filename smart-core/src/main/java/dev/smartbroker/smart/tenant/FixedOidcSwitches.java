package dev.smartbroker.smart.tenant;

import org.keycloak.broker.oidc.OIDCIdentityProviderConfig;
import org.keycloak.models.IdentityProviderModel;

/**
 * The switches of Keycloak's OpenID Connect broker that are the same for every SMART tenant, whatever its stored
 * configuration map says (an import, a REST call or an old export may set them): identity comes from the id_token,
 * tokens are never stored by Keycloak (they live sealed in the launch's session), signatures are always checked
 * against the discovered JWKS, nothing of the app's request is forwarded, access tokens are opaque.
 */
abstract class FixedOidcSwitches extends OIDCIdentityProviderConfig {

    private static final long serialVersionUID = 1L;

    FixedOidcSwitches() {
    }

    FixedOidcSwitches(IdentityProviderModel model) {
        super(model);
    }

    /** Whether the stored map asks Keycloak to store tokens (refused on save). */
    boolean storesTokens() {
        return Boolean.TRUE.equals(super.isStoreToken());
    }


    @Override
    public String getUserInfoUrl() {
        // Identity comes from the id_token (docs/ehr/smart-app-launch.md §5); Cerner has no userinfo endpoint.
        return null;
    }

    @Override
    public String getLogoutUrl() {
        // SMART defines no front-channel logout for EHRs (docs/ehr/cerner.md §5); refresh tokens are revoked instead.
        return null;
    }

    @Override
    public boolean isBackchannelSupported() {
        return false;
    }

    @Override
    public boolean isDisableUserInfoService() {
        return true;
    }

    @Override
    public boolean isUseJwksUrl() {
        return true;
    }

    @Override
    public boolean isValidateSignature() {
        return true;
    }

    @Override
    public boolean isStoreTokenInSession() {
        return false;
    }

    @Override
    public boolean isJwtX509HeadersEnabled() {
        return false;
    }

    @Override
    public String getPkceMethod() {
        return "S256";
    }

    @Override
    public String getForwardParameters() {
        // Nothing of the app's request is forwarded to the EHR beyond what the SMART launch needs.
        return "";
    }

    @Override
    public boolean isLoginHint() {
        return false;
    }

    @Override
    public boolean isUiLocales() {
        return false;
    }

    @Override
    public boolean isPassMaxAge() {
        return false;
    }

    @Override
    public boolean isAccessTokenJwt() {
        // Access tokens are opaque to the broker (Cerner's are JWEs): never parsed (docs/ehr/cerner.md §2.6).
        return false;
    }

    @Override
    public Boolean isStoreToken() {
        // Tokens live sealed in the launch's session, never in the federated identity row.
        return false;
    }
}
