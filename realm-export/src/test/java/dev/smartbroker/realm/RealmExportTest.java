package dev.smartbroker.realm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smartbroker.cerner.CernerIdentityProviderConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.keycloak.models.IdentityProviderModel;

/** The realm exports are consistent and every Cerner tenant in them passes the provider's own validation. */
class RealmExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::([^}]*))?}");

    static JsonNode realm(String name, Map<String, String> env) throws IOException {
        try (InputStream in = RealmExportTest.class.getResourceAsStream("/realms/" + name)) {
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            // What Keycloak's --import-realm does with ${VAR:default} placeholders.
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder resolved = new StringBuilder();
            while (m.find()) {
                String value = env.getOrDefault(m.group(1), m.group(2) == null ? m.group(0) : m.group(2));
                m.appendReplacement(resolved, Matcher.quoteReplacement(value));
            }
            m.appendTail(resolved);
            return JSON.readTree(resolved.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo/smart-realm.json", "cerner-code-sandbox/smart-realm.json"})
    void is_named_as_kc_import_realm_requires(String file) throws IOException {
        // Keycloak 26.7 refuses --import-realm of a file not named <realm>-realm.json (measured with the demo).
        String realmName = realm(file, Map.of()).path("realm").asText();
        assertThat(realmName).isNotBlank();
        assertThat(file.substring(file.lastIndexOf('/') + 1)).isEqualTo(realmName + "-realm.json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo/smart-realm.json", "cerner-code-sandbox/smart-realm.json"})
    void every_cerner_tenant_passes_validation(String file) throws IOException {
        JsonNode realm = realm(file, Map.of("CERNER_CLIENT_ID", "client-from-code-console"));
        List<String> aliases = new ArrayList<>();
        for (JsonNode idp : realm.path("identityProviders")) {
            assertThat(idp.path("providerId").asText()).isEqualTo("cerner");
            IdentityProviderModel model = new IdentityProviderModel();
            model.setAlias(idp.path("alias").asText());
            model.setStoreToken(idp.path("storeToken").asBoolean());
            idp.path("config").fields().forEachRemaining(e -> model.getConfig().put(e.getKey(), e.getValue().asText()));
            CernerIdentityProviderConfig config = CernerIdentityProviderConfig.withDefaultSettings(model);
            config.validate(null);
            aliases.add(model.getAlias());
        }
        assertThat(aliases).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo/smart-realm.json", "cerner-code-sandbox/smart-realm.json"})
    void flows_scopes_and_clients_reference_what_exists(String file) throws IOException {
        JsonNode realm = realm(file, Map.of());
        Set<String> flows = names(realm.path("authenticationFlows"), "alias");
        Set<String> scopes = names(realm.path("clientScopes"), "name");
        assertThat(flows).contains(realm.path("browserFlow").asText(), "smart first broker login");
        for (JsonNode idp : realm.path("identityProviders")) {
            assertThat(flows).contains(idp.path("firstBrokerLoginFlowAlias").asText());
            assertThat(idp.path("hideOnLogin").asBoolean()).as("tenants are reached by launch, not from the login page").isTrue();
        }
        for (JsonNode client : realm.path("clients")) {
            client.path("defaultClientScopes").forEach(s -> assertThat(scopes).as(client.path("clientId").asText()).contains(s.asText()));
            client.path("optionalClientScopes").forEach(s -> assertThat(scopes).contains(s.asText()));
        }
        JsonNode browser = find(realm.path("authenticationFlows"), "alias", realm.path("browserFlow").asText());
        assertThat(browser.path("authenticationExecutions").get(0).path("authenticator").asText())
                .as("the launch step comes before the cookie step").isEqualTo("smart-ehr-launch");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo/smart-realm.json", "cerner-code-sandbox/smart-realm.json"})
    void the_launchable_app_uses_pkce_and_the_launch_scopes(String file) throws IOException {
        JsonNode realm = realm(file, Map.of());
        JsonNode app = find(realm.path("clients"), "clientId", "sample-app");
        assertThat(app.path("attributes").path("pkce.code.challenge.method").asText()).isEqualTo("S256");
        assertThat(names(app.path("defaultClientScopes"), null)).contains("smart-launch-context", "smart-launch-token");
        JsonNode context = find(realm.path("clientScopes"), "name", "smart-launch-context");
        Set<String> fields = new HashSet<>();
        context.path("protocolMappers").forEach(m -> fields.add(m.path("config").path("smart.field").asText()));
        assertThat(fields).contains("patient", "encounter", "fhirUser", "tenant", "fhir_base", "need_patient_banner", "smart_style_url");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo/smart-realm.json", "cerner-code-sandbox/smart-realm.json"})
    void keys_for_cerner_assertions_and_sealing_are_provisioned(String file) throws IOException {
        JsonNode realm = realm(file, Map.of());
        Set<String> algorithms = new HashSet<>();
        Set<String> providers = new HashSet<>();
        for (JsonNode key : realm.path("components").path("org.keycloak.keys.KeyProvider")) {
            providers.add(key.path("providerId").asText());
            key.path("config").path("algorithm").forEach(a -> algorithms.add(a.asText()));
            key.path("config").path("ecdsaEllipticCurveKey").forEach(c -> algorithms.add("EC " + c.asText()));
        }
        assertThat(algorithms).contains("RS256", "RS384", "EC P-384");
        assertThat(providers).contains("aes-generated");
    }

    private static Set<String> names(JsonNode array, String field) {
        Set<String> names = new HashSet<>();
        array.forEach(n -> names.add(field == null ? n.asText() : n.path(field).asText()));
        return names;
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.path(field).asText())) {
                return n;
            }
        }
        throw new AssertionError("no " + field + "=" + value);
    }
}
