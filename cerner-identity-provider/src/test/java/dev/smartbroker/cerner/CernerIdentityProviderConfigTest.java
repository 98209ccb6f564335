package dev.smartbroker.cerner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.smartbroker.smart.discovery.SmartConfiguration;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CernerIdentityProviderConfigTest {

    static final CernerProfile PROFILE = new CernerProfile(Set.of("authorization.cerner.com"));

    static SmartTenantConfig config(Map<String, String> overrides) {
        SmartTenantConfig config = new CernerIdentityProviderConfig(PROFILE);
        config.setAlias("cerner-sandbox");
        config.getConfig().put(SmartTenantConfig.FHIR_BASE_URL, "https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d");
        config.getConfig().put(SmartTenantConfig.ENVIRONMENT, "production");
        config.getConfig().put(SmartTenantConfig.CLIENT_ID, "bb318a62-fa61-49ae-b692-7d99214f0ec7");
        config.getConfig().put(SmartTenantConfig.CLIENT_SECRET, "${vault.cerner_secret}");
        config.getConfig().put(SmartTenantConfig.SCOPES, "openid fhirUser user/Patient.read user/Encounter.read");
        overrides.forEach((k, v) -> {
            if (v == null) {
                config.getConfig().remove(k);
            } else {
                config.getConfig().put(k, v);
            }
        });
        return config;
    }

    static SmartConfiguration discovery(List<String> pkce) {
        return new SmartConfiguration(SmartConfiguration.SOURCE_WELL_KNOWN, "https://authorization.cerner.com/tenants/t/",
                "https://authorization.cerner.com/tenants/t/protocols/oauth2/profiles/smart-v1/personas/provider/authorize",
                "https://authorization.cerner.com/tenants/t/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token",
                null, "https://authorization.cerner.com/jwk", pkce, List.of(), List.of());
    }

    @Test
    void accepts_a_configuration_as_code_console_shows_it() {
        assertThat(config(Map.of()).problems()).isEmpty();
    }

    @Nested
    class Rejects_on_save {

        @Test
        void a_missing_fhir_base_url_with_an_example() {
            assertThat(config(mapOf(SmartTenantConfig.FHIR_BASE_URL, null)).problems())
                    .singleElement().asString().contains("FHIR base URL is required").contains("https://fhir-ehr-code.cerner.com/r4/");
        }

        @Test
        void a_non_https_fhir_base_outside_loopback() {
            assertThat(config(Map.of(SmartTenantConfig.FHIR_BASE_URL, "http://fhir-ehr.cerner.com/r4/t",
                    SmartTenantConfig.ENVIRONMENT, "sandbox")).problems())
                    .singleElement().asString().contains("must use https");
        }

        @Test
        void a_loopback_fhir_base_in_production_but_not_in_sandbox() {
            Map<String, String> loopback = Map.of(SmartTenantConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t");
            assertThat(config(loopback).problems()).singleElement().asString().contains("production tenant");
            assertThat(config(Map.of(SmartTenantConfig.FHIR_BASE_URL, "http://127.0.0.1:8088/r4/t",
                    SmartTenantConfig.ENVIRONMENT, "sandbox")).problems()).isEmpty();
        }

        @Test
        void a_missing_client_id() {
            assertThat(config(mapOf(SmartTenantConfig.CLIENT_ID, null)).problems())
                    .singleElement().asString().contains("Client ID is required");
        }

        @Test
        void client_secret_authentication_without_a_secret() {
            assertThat(config(mapOf(SmartTenantConfig.CLIENT_SECRET, null)).problems())
                    .singleElement().asString().contains("Client secret is required");
        }

        @Test
        void signed_jwt_authentication_needs_no_secret_but_a_cerner_algorithm() {
            assertThat(config(mapOf(SmartTenantConfig.CLIENT_SECRET, null,
                    SmartTenantConfig.CLIENT_AUTHENTICATION, "private_key_jwt")).problems()).isEmpty();
            assertThat(config(Map.of(SmartTenantConfig.CLIENT_AUTHENTICATION, "private_key_jwt",
                    SmartTenantConfig.ASSERTION_ALGORITHM, "RS256")).problems())
                    .singleElement().asString().contains("RS384, ES384");
        }

        @Test
        void an_unknown_client_authentication() {
            assertThat(config(Map.of(SmartTenantConfig.CLIENT_AUTHENTICATION, "client_secret_post")).problems())
                    .singleElement().asString().contains("supports no other method");
        }

        @Test
        void wildcard_scopes_that_cerner_would_drop_silently() {
            assertThat(config(Map.of(SmartTenantConfig.SCOPES, "openid fhirUser user/*.read")).problems())
                    .singleElement().asString().contains("wildcard").contains("user/*.read");
        }

        @Test
        void scopes_without_openid_and_fhir_user() {
            assertThat(config(Map.of(SmartTenantConfig.SCOPES, "user/Patient.read")).problems())
                    .singleElement().asString().contains("openid fhirUser");
        }

        @Test
        void scopes_of_the_other_smart_version() {
            assertThat(config(Map.of(SmartTenantConfig.SMART_VERSION, "v2")).problems())
                    .hasSize(2).allSatisfy(p -> assertThat(p).contains("v1 syntax but the registration is v2"));
            assertThat(config(Map.of(SmartTenantConfig.SCOPES, "openid fhirUser user/Patient.rs")).problems())
                    .singleElement().asString().contains("v2 syntax but the registration is v1");
            assertThat(config(Map.of(SmartTenantConfig.SMART_VERSION, "v2",
                    SmartTenantConfig.SCOPES, "openid fhirUser user/Patient.rs patient/Observation.cruds")).problems()).isEmpty();
        }

        @Test
        void system_scopes_access_scopes_and_standalone_launch_scopes() {
            assertThat(config(Map.of(SmartTenantConfig.SCOPES,
                    "openid fhirUser system/Patient.read offline_access launch/patient")).problems())
                    .hasSize(3)
                    .anySatisfy(p -> assertThat(p).contains("system scope"))
                    .anySatisfy(p -> assertThat(p).contains("Type of access"))
                    .anySatisfy(p -> assertThat(p).contains("standalone"));
        }

        @Test
        void stored_tokens_which_would_land_in_the_database_in_plain_text() {
            SmartTenantConfig config = config(Map.of());
            config.setStoreToken(true);
            assertThat(config.problems()).singleElement().asString().contains("Store tokens");
        }

        @Test
        void timeouts_out_of_range() {
            assertThat(config(Map.of(SmartTenantConfig.READ_TIMEOUT_MILLIS, "5",
                    SmartTenantConfig.CONNECT_TIMEOUT_MILLIS, "soon")).problems()).hasSize(2);
        }

        @Test
        void through_validate_with_every_reason_in_one_message() {
            SmartTenantConfig config = config(mapOf(SmartTenantConfig.CLIENT_ID, null,
                    SmartTenantConfig.SCOPES, "openid fhirUser patient/*.read"));
            assertThatThrownBy(() -> config.validate(null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Client ID is required")
                    .hasMessageContaining("wildcard");
        }
    }

    @Nested
    class Derived_values {

        @Test
        void requests_launch_the_configured_scopes_and_the_access_type() {
            assertThat(config(Map.of()).requestedScope()).isEqualTo("launch openid fhirUser user/Patient.read user/Encounter.read online_access");
            assertThat(config(Map.of(SmartTenantConfig.ACCESS_TYPE, "offline")).requestedScope()).endsWith(" offline_access");
            assertThat(config(Map.of(SmartTenantConfig.ACCESS_TYPE, "none")).requestedScope()).doesNotContain("_access");
        }

        @Test
        void pkce_follows_discovery_unless_forced() {
            SmartTenantConfig advertised = config(Map.of());
            assertThat(advertised.isPkceEnabled()).isFalse();
            advertised.applyDiscovery(discovery(List.of("S256")));
            assertThat(advertised.isPkceEnabled()).isTrue();
            advertised.applyDiscovery(discovery(List.of()));
            assertThat(advertised.isPkceEnabled()).isFalse();
            SmartTenantConfig always = config(Map.of(SmartTenantConfig.PKCE_MODE, "always"));
            always.applyDiscovery(discovery(List.of()));
            assertThat(always.isPkceEnabled()).isTrue();
            SmartTenantConfig never = config(Map.of(SmartTenantConfig.PKCE_MODE, "never"));
            never.applyDiscovery(discovery(List.of("S256")));
            assertThat(never.isPkceEnabled()).isFalse();
            assertThat(always.getPkceMethod()).isEqualTo("S256");
        }

        @Test
        void endpoints_come_only_from_discovery() {
            SmartTenantConfig config = config(Map.of("authorizationUrl", "https://evil.example/authorize",
                    "tokenUrl", "https://evil.example/token", "jwksUrl", "https://evil.example/jwks"));
            assertThat(config.getAuthorizationUrl()).isNull();
            assertThat(config.getTokenUrl()).isNull();
            config.applyDiscovery(discovery(List.of()));
            assertThat(config.getAuthorizationUrl()).startsWith("https://authorization.cerner.com/tenants/t/");
            assertThat(config.getTokenUrl()).contains("/hosts/fhir-ehr-code.cerner.com/");
            assertThat(config.getClientAssertionAudience()).isEqualTo(config.getTokenUrl());
            assertThat(config.getJwksUrl()).isEqualTo("https://authorization.cerner.com/jwk");
        }

        @Test
        void generic_oidc_switches_are_pinned_to_what_cerner_needs() {
            SmartTenantConfig config = config(Map.of("disableNonce", "false", "storeTokenInSession", "true",
                    "validateSignature", "false", "loginHint", "true", "forwardParameters", "prompt,acr_values"));
            assertThat(config.isDisableNonce()).isTrue();
            assertThat(config.isStoreTokenInSession()).isFalse();
            assertThat(config.isStoreToken()).isFalse();
            assertThat(config.isValidateSignature()).isTrue();
            assertThat(config.isLoginHint()).isFalse();
            assertThat(config.getForwardParameters()).isEmpty();
            assertThat(config.getIssuer()).isNull();
            assertThat(config.getUserInfoUrl()).isNull();
            assertThat(config.isAccessTokenJwt()).isFalse();
        }

        @Test
        void defaults_are_explicit() {
            SmartTenantConfig config = config(mapOf(SmartTenantConfig.ENVIRONMENT, null));
            assertThat(config.environment()).isEqualTo("production");
            assertThat(config.clientAuthentication()).isEqualTo("client_secret_basic");
            assertThat(config.assertionAlgorithm()).isEqualTo("RS384");
            assertThat(config.accessType()).isEqualTo("online");
            assertThat(config.pkceMode()).isEqualTo("advertised");
            assertThat(config.connectTimeoutMillis()).isEqualTo(3_000);
            assertThat(config.readTimeoutMillis()).isEqualTo(10_000);
            assertThat(config.getAllowedClockSkew()).isEqualTo(30);
        }
    }

    static Map<String, String> mapOf(String... keyValues) {
        Map<String, String> map = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
