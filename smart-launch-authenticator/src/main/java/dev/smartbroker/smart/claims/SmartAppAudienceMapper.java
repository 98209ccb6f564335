package dev.smartbroker.smart.claims;

import java.util.ArrayList;
import java.util.List;

import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.IDToken;

/**
 * Adds the app itself to the audience of its access tokens, so that the app may introspect them (Keycloak answers
 * introspection only to a client in the token's {@code aud}). Keycloak's own audience mapper names one fixed client,
 * which a client scope shared by every launchable app cannot do; this one names whichever app the token is for. The
 * realm export's {@code smart-launch-context} client scope ships it.
 */
public final class SmartAppAudienceMapper extends AbstractOIDCProtocolMapper implements OIDCAccessTokenMapper,
        TokenIntrospectionTokenMapper {

    public static final String PROVIDER_ID = "smart-app-audience-mapper";

    private static final List<ProviderConfigProperty> CONFIG_PROPERTIES = new ArrayList<>();

    static {
        OIDCAttributeMapperHelper.addIncludeInTokensConfig(CONFIG_PROPERTIES, SmartAppAudienceMapper.class);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "SMART app as audience";
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getHelpText() {
        return "Adds the app a token is issued to to the token's audience (aud), so that the app can introspect its own"
                + " tokens and read their launch context there.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG_PROPERTIES;
    }

    @Override
    protected void setClaim(IDToken token, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession keycloakSession, ClientSessionContext clientSessionCtx) {
        if (clientSessionCtx != null && clientSessionCtx.getClientSession() != null) {
            token.addAudience(clientSessionCtx.getClientSession().getClient().getClientId());
        }
    }
}
