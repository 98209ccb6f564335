package dev.smartbroker.smart.claims;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import dev.smartbroker.smart.Smart;
import dev.smartbroker.smart.context.LaunchContext;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenResponseMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.protocol.oidc.mappers.OIDCIDTokenMapper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.protocol.oidc.mappers.UserInfoTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.AccessTokenResponse;
import org.keycloak.representations.IDToken;

/**
 * Puts one piece of the launch context (patient, encounter, fhirUser, tenant, FHIR base, banner, style) into
 * tokens, userinfo, introspection and the token response, from the launch this very token belongs to
 * ({@link LaunchBinding}). Admins add it like any other mapper; the realm export ships the
 * {@code smart-launch-context} client scope with one mapper per field.
 */
public final class SmartLaunchContextMapper extends AbstractOIDCProtocolMapper implements OIDCAccessTokenMapper,
        OIDCIDTokenMapper, UserInfoTokenMapper, TokenIntrospectionTokenMapper, OIDCAccessTokenResponseMapper {

    public static final String PROVIDER_ID = Smart.LAUNCH_CONTEXT_MAPPER;
    public static final String FIELD = "smart.field";

    /** The launch-context fields a mapper can emit, with their SMART names. */
    public enum Field {
        PATIENT(Smart.PATIENT, LaunchContext::patient),
        ENCOUNTER(Smart.ENCOUNTER, LaunchContext::encounter),
        FHIR_USER(Smart.FHIR_USER, LaunchContext::fhirUser),
        TENANT(Smart.TENANT, LaunchContext::tenant),
        FHIR_BASE(Smart.CLAIM_FHIR_BASE, LaunchContext::fhirBaseUrl),
        NEED_PATIENT_BANNER(Smart.NEED_PATIENT_BANNER, LaunchContext::needPatientBanner),
        SMART_STYLE_URL(Smart.SMART_STYLE_URL, LaunchContext::smartStyleUrl),
        IDENTITY_PROVIDER("identity_provider", LaunchContext::idpAlias);

        private final String key;
        private final Function<LaunchContext, Object> value;

        Field(String key, Function<LaunchContext, Object> value) {
            this.key = key;
            this.value = value;
        }

        public String key() {
            return key;
        }

        static Optional<Field> of(String key) {
            for (Field f : values()) {
                if (f.key.equals(key)) {
                    return Optional.of(f);
                }
            }
            return Optional.empty();
        }
    }

    private static final List<ProviderConfigProperty> CONFIG_PROPERTIES = new ArrayList<>();

    static {
        ProviderConfigProperty field = new ProviderConfigProperty();
        field.setName(FIELD);
        field.setLabel("Launch context field");
        field.setType(ProviderConfigProperty.LIST_TYPE);
        List<String> options = new ArrayList<>();
        for (Field f : Field.values()) {
            options.add(f.key());
        }
        field.setOptions(options);
        field.setDefaultValue(Smart.PATIENT);
        field.setHelpText("Which value of the app's EHR launch to emit: patient and encounter ids (as the EHR sent them),"
                + " fhirUser (absolute URL of the clinician's FHIR resource), tenant (the tenant id), fhir_base (the"
                + " tenant's FHIR base URL), need_patient_banner, smart_style_url, or identity_provider (the tenant's"
                + " IdP alias). Tokens that do not come from an EHR launch carry none of them.");
        CONFIG_PROPERTIES.add(field);
        OIDCAttributeMapperHelper.addTokenClaimNameConfig(CONFIG_PROPERTIES);
        OIDCAttributeMapperHelper.addIncludeInTokensConfig(CONFIG_PROPERTIES, SmartLaunchContextMapper.class);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "SMART launch context";
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getHelpText() {
        return "Adds a value of the app's EHR launch (patient, encounter, fhirUser, tenant, FHIR base...) to the"
                + " tokens of that launch only; refreshed tokens keep their own launch.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG_PROPERTIES;
    }

    @Override
    protected void setClaim(IDToken token, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession keycloakSession, ClientSessionContext clientSessionCtx) {
        value(mappingModel, keycloakSession, clientSessionCtx)
                .ifPresent(v -> OIDCAttributeMapperHelper.mapClaim(token, mappingModel, v));
    }

    @Override
    protected void setClaim(AccessTokenResponse accessTokenResponse, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession keycloakSession, ClientSessionContext clientSessionCtx) {
        value(mappingModel, keycloakSession, clientSessionCtx)
                .ifPresent(v -> OIDCAttributeMapperHelper.mapClaim(accessTokenResponse, mappingModel, v));
    }

    private static Optional<Object> value(ProtocolMapperModel mappingModel, KeycloakSession session, ClientSessionContext clientSessionCtx) {
        Optional<Field> field = Field.of(mappingModel.getConfig().getOrDefault(FIELD, Smart.PATIENT));
        if (field.isEmpty()) {
            return Optional.empty();
        }
        return LaunchBinding.resolve(session, clientSessionCtx).map(field.get().value);
    }
}
