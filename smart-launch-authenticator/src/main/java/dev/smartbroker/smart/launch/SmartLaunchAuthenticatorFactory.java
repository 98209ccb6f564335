package dev.smartbroker.smart.launch;

import java.util.List;

import org.keycloak.Config;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;

/** The "SMART EHR launch" browser-flow step. */
public final class SmartLaunchAuthenticatorFactory implements AuthenticatorFactory {

    public static final String PROVIDER_ID = "smart-ehr-launch";

    private static final AuthenticationExecutionModel.Requirement[] REQUIREMENTS = {
            AuthenticationExecutionModel.Requirement.ALTERNATIVE,
            AuthenticationExecutionModel.Requirement.REQUIRED,
            AuthenticationExecutionModel.Requirement.DISABLED
    };

    private final SmartLaunchAuthenticator authenticator = new SmartLaunchAuthenticator();

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "SMART EHR launch";
    }

    @Override
    public String getHelpText() {
        return "Sends an app's login through the SMART tenant (identity provider) of its EHR launch (from the realm's SMART Launch URI, a"
                + " kc_launch parameter, or iss and launch parameters). Put it first in the browser flow, before Cookie."
                + " ALTERNATIVE: steps aside when there is no launch. REQUIRED: the app can only be opened from the EHR.";
    }

    @Override
    public String getReferenceCategory() {
        return "smart-launch";
    }

    @Override
    public boolean isConfigurable() {
        return false;
    }

    @Override
    public AuthenticationExecutionModel.Requirement[] getRequirementChoices() {
        return REQUIREMENTS;
    }

    @Override
    public boolean isUserSetupAllowed() {
        return false;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return authenticator;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }
}
