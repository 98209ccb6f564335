package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.simulator.AppRegistration;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.CernerPages;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.GuideDoc;
import dev.smartbroker.it.support.GuideShell;
import dev.smartbroker.it.support.Json;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.OidcClient;
import dev.smartbroker.it.support.PowerChart;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guides of {@code docs/guides/} as a reader follows them: each page's command blocks run in page order in one
 * shell ({@link GuideShell}) against the test environment, their placeholders replaced with its loopback values, and
 * each block's outcome is checked against what the page says it shows. A page whose command or payload has no
 * marker fails to load ({@link GuideDoc}); a marked block without a check here, or a check for a block the page no
 * longer has, fails the page's test; so does a page of the folder that no test runs.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class GuidesIT {

    private static final Path REPO = Path.of(System.getProperty("repo.dir", ".."));
    private static final Path GUIDES = REPO.resolve("docs/guides");
    private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(120);
    /** The pages this class runs: a page of the folder in neither list fails the first test below. */
    private static final Set<String> RUN = Set.of("register-provider-app.md", "register-system-app.md", "go-live.md",
            "troubleshooting.md", "admin-recipes.md", "realm-as-code.md", "generic-ehr.md");
    /** Pages without commands. */
    private static final Set<String> PROSE = Set.of("README.md");

    /** What a block must have done: its result, and the page's values (a check may add one for later blocks). */
    private interface Check extends BiConsumer<GuideShell.Result, Map<String, String>> {
    }

    private final Environment env;
    private final List<String> aliases = new java.util.ArrayList<>();
    private final List<String> clients = new java.util.ArrayList<>();
    private final List<String> keys = new java.util.ArrayList<>();

    GuidesIT(Environment env) {
        this.env = env;
    }

    @AfterEach
    void removeWhatThePagesCreated() {
        aliases.forEach(alias -> env.admin().delete("/realms/" + env.realm() + "/identity-provider/instances/" + alias));
        for (String client : clients) {
            try {
                env.admin().delete("/realms/" + env.realm() + "/clients/" + env.admin().clientUuid(env.realm(), client));
            } catch (IllegalStateException gone) {
                // the page deleted it itself, or never got to create it
            }
        }
        for (String key : keys) {
            for (JsonNode component : env.admin().get("/realms/" + env.realm() + "/components?name=" + key).json()) {
                env.admin().delete("/realms/" + env.realm() + "/components/" + component.path("id").asText());
            }
        }
        aliases.clear();
        clients.clear();
        keys.clear();
    }

    /** The values of every page's placeholders; what a test lists in aliases, clients and keys is removed after it. */
    private Map<String, String> values(String alias, String app) {
        Map<String, String> values = new HashMap<>();
        values.put("KEYCLOAK", env.keycloak().url());
        values.put("REALM", env.realm());
        values.put("ADMIN_USER", "admin");
        values.put("ADMIN_PASSWORD", "admin");
        values.put("ALIAS", alias);
        values.put("FHIR_BASE", env.simulator().fhirBase(Environment.SETUP_TENANT));
        values.put("CLIENT_ID", Environment.BROKER_CLIENT_ID);
        values.put("CLIENT_SECRET", Environment.BROKER_CLIENT_SECRET);
        values.put("APP", app);
        values.put("APP_URL", env.sampleAppUrl());
        values.put("SYSTEM_ACCOUNT_ID", Environment.SYSTEM_ACCOUNT_ID);
        values.put("ENVIRONMENT", "sandbox");
        values.put("REPO", REPO.toAbsolutePath().normalize().toString());
        return values;
    }

    /** A tenant of the set-up simulator tenant, made through admin REST as register-provider-app.md makes one. */
    private void tenant(String alias, Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("fhirBaseUrl", env.simulator().fhirBase(Environment.SETUP_TENANT),
                "environment", "sandbox", "clientId", Environment.BROKER_CLIENT_ID, "clientSecret", Environment.BROKER_CLIENT_SECRET,
                "smartScopes", "openid fhirUser user/Patient.read", "launchApps", Launches.APP));
        config.putAll(extra);
        aliases.add(alias);
        KeycloakAdmin.Response created = env.admin().post("/realms/" + env.realm() + "/identity-provider/instances",
                Map.of("alias", alias, "providerId", "cerner", "enabled", true, "config", config));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    /** Runs the page: payloads saved, commands run in order, each checked. */
    private void follow(String page, Map<String, String> values, Map<String, Check> checks) {
        GuideDoc doc = GuideDoc.load(GUIDES.resolve(page));
        assertThat(checks.keySet()).as("blocks of " + page + " with a check in GuidesIT").containsExactlyInAnyOrderElementsOf(doc.commandIds());
        Path dir = Path.of(System.getProperty("it.work.dir", "target/it-work")).resolve("guides").resolve(page.replace(".md", ""));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", dir.toAbsolutePath().toString());
        env.put("PATH", this.env.keycloak().home().resolve("bin") + ":" + System.getenv("PATH"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        GuideShell shell = new GuideShell(dir, env, BLOCK_TIMEOUT);
        for (GuideDoc.Block block : doc.blocks()) {
            String text = GuideDoc.render(block, values);
            if (block.kind() == GuideDoc.Kind.FILE) {
                shell.save(block.id(), text);
                continue;
            }
            GuideShell.Result result = shell.run(block.id(), text);
            String where = page + " block '" + block.id() + "' (line " + block.line() + ")\n---- ran ----\n" + text
                    + "\n---- stdout ----\n" + result.stdout() + "\n---- stderr ----\n" + result.stderr();
            assertThat(result.exit()).as("exit code of " + where).isZero();
            try {
                checks.get(block.id()).accept(result, values);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nin " + where, e);
            }
        }
    }

    private static JsonNode json(GuideShell.Result result) {
        return Json.parse(result.stdout());
    }

    @Test
    void every_command_block_of_every_guide_is_marked_and_every_guide_is_run() {
        Map<String, GuideDoc> docs = GuideDoc.loadAll(GUIDES);
        assertThat(docs.keySet()).as("pages of docs/guides").containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(RUN.stream(), PROSE.stream()).toList());
        PROSE.forEach(page -> assertThat(docs.get(page).blocks()).as(page + " holds no command").isEmpty());
    }

    @Test
    void a_page_with_an_unmarked_command_or_payload_is_refused(@TempDir Path dir) throws java.io.IOException {
        Path page = dir.resolve("page.md");
        java.nio.file.Files.writeString(page, String.join("\n", "# A page", "", "```sh", "curl http://127.0.0.1/", "```", "",
                "```json", "{}", "```", "", "```bash", "ls", "```", "", "<!-- GuidesIT: output -->", "```text", "done", "```", ""));
        assertThatThrownBy(() -> GuideDoc.load(page))
                .hasMessageContaining("line 3: a command block without a '<!-- GuidesIT: id -->' marker")
                .hasMessageContaining("line 7: a json block is a payload")
                .hasMessageContaining("line 11: command blocks are written ```sh")
                .hasMessageContaining("line 16: a marker above a 'text' block");
    }

    @Test
    void register_provider_app() {
        Map<String, String> values = values("guide-provider", "guide-chart-app");
        aliases.add("guide-provider");
        clients.add("guide-chart-app");
        String realmUrl = env.realmUrl();
        // Step 1 of the page, at the simulated Code Console: an application of its own, with the URLs the page gives.
        String consoleApp = "guide-code-console-app";
        values.put("CLIENT_ID", consoleApp);
        values.put("CLIENT_SECRET", "guide-code-console-secret");
        env.simulator().registerApp(new AppRegistration(consoleApp, "Guide provider app", "guide-code-console-secret",
                List.of(realmUrl + "/broker/guide-provider/endpoint"), realmUrl + "/smart-launch/guide-chart-app",
                Environment.PROVIDER_SCOPES, null, "v1", "provider", false));
        try {
            follow("register-provider-app.md", values, Map.of(
                    "create-app", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("201"),
                    "create-tenant", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("201"),
                    "registration", (r, v) -> {
                        JsonNode urls = json(r);
                        assertThat(urls.path("redirectUri").asText()).isEqualTo(realmUrl + "/broker/guide-provider/endpoint");
                        assertThat(urls.path("launchUris").get(0).asText()).isEqualTo(realmUrl + "/smart-launch/guide-chart-app");
                        assertThat(urls.path("jwksUrl").asText()).isEqualTo(realmUrl + "/cerner/jwks");
                    },
                    "connection-check", (r, v) -> {
                        JsonNode check = json(r);
                        assertThat(check.path("ok").asBoolean()).as(check.toString()).isTrue();
                        assertThat(check.path("steps").findValuesAsText("step")).containsExactly("discovery", "keys", "client");
                    },
                    "try-launch-uri", (r, v) -> assertThat(r.stdout()).startsWith("303 " + env.sampleAppUrl() + "/?kc_launch=")));
            launchesThrough(consoleApp, "guide-chart-app");
        } finally {
            env.simulator().removeApp(consoleApp);
        }
    }

    /** Step 7 of the page: a launch from the (simulated) code sandbox reaches the app the page created, with its patient. */
    private void launchesThrough(String consoleApp, String app) {
        String secret = env.admin().get("/realms/" + env.realm() + "/clients/" + env.admin().clientUuid(env.realm(), app) + "/client-secret")
                .json().path("value").asText();
        Browser browser = new Browser();
        Browser.Page landing = browser.get(PowerChart.launch(browser, env, Environment.SETUP_TENANT, "WILMA", consoleApp).location());
        assertThat(landing.location()).as(landing.toString()).startsWith(env.sampleAppUrl() + "/?kc_launch=");
        OidcClient client = new OidcClient(env.realmUrl(), app, secret, env.sampleAppUrl() + "/login/oauth2/code/keycloak");
        OidcClient.AuthorizationRequest request = client.authorizationRequest(Map.of("kc_launch", Browser.query(landing.location()).get("kc_launch")));
        Browser.Page back = CernerPages.signInAndAllow(browser, browser.get(request.url()), "portal", "portal",
                l -> l.startsWith(client.redirectUri()));
        OidcClient.TokenResponse tokens = client.exchange(request, back.location());
        assertThat(tokens.status()).as(tokens.json().toString()).isEqualTo(200);
        assertThat(tokens.json().path("patient").asText()).isEqualTo("12724065");
        assertThat(tokens.idTokenClaims().path("tenant").asText()).isEqualTo(Environment.SETUP_TENANT);
        assertThat(tokens.idTokenClaims().path("fhir_base").asText()).isEqualTo(env.simulator().fhirBase(Environment.SETUP_TENANT));
    }

    @Test
    void register_system_app() {
        tenant("guide-system", Map.of());
        Map<String, String> values = values("guide-system", Launches.APP);
        values.put("JOB", "guide-nightly-extract");
        clients.add("guide-nightly-extract");
        follow("register-system-app.md", values, Map.of(
                "jwks", (r, v) -> assertThat(r.stdout()).contains("\"alg\":\"RS384\"").contains("\"alg\":\"ES384\"").doesNotContain("RS256"),
                "create-job", (r, v) -> assertThat(env.admin().clientUuid(env.realm(), "guide-nightly-extract")).isNotEmpty(),
                "grant", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("204"),
                "check-backend", (r, v) -> assertThat(r.stdout().lines().toList()).containsExactly("{\"step\":\"discovery\",\"ok\":true}",
                        "{\"step\":\"keys\",\"ok\":true}", "{\"step\":\"client\",\"ok\":true}", "{\"step\":\"backend\",\"ok\":true}"),
                "system-token", (r, v) -> {
                    JsonNode token = json(r);
                    assertThat(token.path("token_type").asText()).isEqualTo("Bearer");
                    assertThat(token.path("scope").asText()).isEqualTo("system/Patient.read");
                    assertThat(token.path("tenant").asText()).isEqualTo(Environment.SETUP_TENANT);
                    assertThat(token.path("fhir_base").asText()).isEqualTo(env.simulator().fhirBase(Environment.SETUP_TENANT));
                },
                "read-patient", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("SMART, WILMA")));
    }

    @Test
    void go_live() {
        // Read-only checks, run against the demo realm's sandbox tenant and the sample app.
        Map<String, String> values = values(Environment.SANDBOX_IDP, Launches.APP);
        values.put("FHIR_BASE", env.simulator().fhirBase(Environment.SANDBOX_TENANT));
        String realmUrl = env.realmUrl();
        follow("go-live.md", values, Map.of(
                "discovery", (r, v) -> {
                    JsonNode discovery = json(r);
                    assertThat(discovery.path("token_endpoint").asText()).contains("/tenants/" + Environment.SANDBOX_TENANT + "/");
                    assertThat(discovery.path("code_challenge_methods_supported").toString()).contains("S256");
                },
                "check-production", (r, v) -> {
                    List<String> lines = r.stdout().lines().toList();
                    assertThat(lines).hasSize(4);
                    assertThat(lines.get(0)).startsWith("OK");
                    assertThat(lines.subList(1, 4)).containsExactly(realmUrl + "/broker/" + Environment.SANDBOX_IDP + "/endpoint",
                            realmUrl + "/smart-launch/" + Launches.APP, realmUrl + "/cerner/jwks");
                },
                "public-urls", (r, v) -> assertThat(r.stdout().lines().toList()).containsExactly(realmUrl, "303")));
    }

    @Test
    void troubleshooting() {
        // A tenant whose EHR does not answer, so that the connection check has a failure to print.
        tenant("guide-broken", Map.of("fhirBaseUrl", "http://127.0.0.1:9/r4/nobody-listens", "connectTimeoutMillis", "500"));
        Map<String, String> values = values("guide-broken", Launches.APP);
        follow("troubleshooting.md", values, Map.of(
                "see-a-page", (r, v) -> {
                    List<String> lines = r.stdout().lines().toList();
                    assertThat(lines).hasSize(3);
                    assertThat(lines.get(0)).isEqualTo("403");
                    assertThat(lines.get(1)).contains("Unknown EHR");
                    assertThat(lines.get(2)).matches("Reference: [2-9A-Z]{4}-[2-9A-Z]{4}");
                    v.put("REFERENCE", lines.get(2).substring("Reference: ".length()));
                },
                "find-the-event", (r, v) -> {
                    JsonNode event = json(r);
                    assertThat(event.path("type").asText()).isEqualTo("LOGIN_ERROR");
                    assertThat(event.path("error").asText()).isEqualTo("smart_unknown_iss");
                    assertThat(event.path("details").path("reference").asText()).isEqualTo(v.get("REFERENCE"));
                    assertThat(event.path("details").path("smart_iss").asText()).isEqualTo("https://fhir.unknown.example/r4/nobody");
                },
                "decode-urn", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("urn:cerner:error:authorization-server:oauth2:token:code-invalid-or-expired"),
                "failing-steps", (r, v) -> assertThat(r.stdout()).contains("discovery: ").contains("fix: ").contains("FHIR base URL")));
    }

    @Test
    void admin_recipes() {
        String key = "guide-assertions-rs384";
        keys.add(key);
        keys.add(key + "-next");
        String realmId = env.admin().get("/realms/" + env.realm()).json().path("id").asText();
        KeycloakAdmin.Response current = env.admin().post("/realms/" + env.realm() + "/components", Map.of("name", key,
                "providerId", "rsa-generated", "providerType", "org.keycloak.keys.KeyProvider", "parentId", realmId,
                "config", Map.of("priority", List.of("150"), "algorithm", List.of("RS384"), "keySize", List.of("2048"),
                        "active", List.of("true"), "enabled", List.of("true"))));
        assertThat(current.status()).as(current.body()).isEqualTo(201);
        Map<String, String> values = values("guide-recipes", "guide-recipes-app");
        values.put("CURRENT_KEY", key);
        aliases.add("guide-recipes");
        clients.add("guide-recipes-app");
        String realmUrl = env.realmUrl();
        String instances = "/realms/" + env.realm() + "/identity-provider/instances/guide-recipes";
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("login", (r, v) -> assertThat(r.stdout() + r.stderr()).contains("Logging into " + env.keycloak().url()));
        checks.put("launchable-client", (r, v) -> assertThat(r.stdout().lines().toList()).contains("smart-launch-context", "smart-launch-token"));
        checks.put("create-tenant", (r, v) -> assertThat(env.admin().get(instances).status()).isEqualTo(200));
        checks.put("registration", (r, v) -> assertThat(json(r).path("launchUris").get(0).asText())
                .isEqualTo(realmUrl + "/smart-launch/guide-recipes-app"));
        checks.put("connection-check", (r, v) -> assertThat(json(r).path("ok").asBoolean()).as(r.stdout()).isTrue());
        checks.put("try-launch", (r, v) -> assertThat(r.stdout()).startsWith("303 " + env.sampleAppUrl() + "/?kc_launch="));
        checks.put("disable-enable", (r, v) -> {
            assertThat(r.stdout().trim()).isEqualTo("403");
            assertThat(env.admin().get(instances).json().path("enabled").asBoolean()).isTrue();
        });
        checks.put("list-keys", (r, v) -> assertThat(r.stdout()).contains("150 ACTIVE RS384"));
        checks.put("publish-next", (r, v) -> assertThat(r.stdout().trim()).matches("published: \\S+ RS384"));
        checks.put("switch-signing", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("true"));
        checks.put("retire-old", (r, v) -> assertThat(env.admin().get("/realms/" + env.realm() + "/components?name=" + key).json()).isEmpty());
        checks.put("enable-events", (r, v) -> {
            JsonNode config = env.admin().get("/realms/" + env.realm() + "/events/config").json();
            assertThat(config.path("eventsEnabled").asBoolean()).isTrue();
            assertThat(config.path("enabledEventTypes").toString()).contains("\"IDENTITY_PROVIDER_RETRIEVE_TOKEN\"", "\"LOGIN_ERROR\"");
        });
        // The disabled tenant's refusal above is among the latest launch errors.
        checks.put("read-events", (r, v) -> assertThat(r.stdout()).contains("LOGIN_ERROR smart_tenant_disabled"));
        checks.put("delete-tenant", (r, v) -> assertThat(env.admin().get(instances).status()).isEqualTo(404));
        follow("admin-recipes.md", values, checks);
    }

    @Test
    void realm_as_code() {
        aliases.add("cerner-stmary");
        Map<String, String> values = values("cerner-stmary", Launches.APP);
        follow("realm-as-code.md", values, Map.of(
                "no-secrets", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("true"),
                "build-realm-file", (r, v) -> assertThat(r.stdout().lines().toList())
                        .containsExactly("smart", "cerner-stmary cerner ${CERNER_STMARY_FHIR_BASE}"),
                "partial-import", (r, v) -> {
                    assertThat(r.stdout().trim()).isEqualTo("{\"added\":1,\"skipped\":0,\"overwritten\":0}");
                    JsonNode stored = env.admin().get("/realms/" + env.realm() + "/identity-provider/instances/cerner-stmary").json();
                    assertThat(stored.path("config").path("fhirBaseUrl").asText()).isEqualTo(env.simulator().fhirBase(Environment.SETUP_TENANT));
                    assertThat(stored.path("config").path("clientId").asText()).isEqualTo(Environment.BROKER_CLIENT_ID);
                },
                "compare", (r, v) -> {
                    JsonNode config = json(r);
                    assertThat(config.path("fhirBaseUrl").asText()).isEqualTo(env.simulator().fhirBase(Environment.SETUP_TENANT));
                    assertThat(config.path("clientSecret").asText()).isEqualTo("${vault.cerner-stmary}");
                    // A secret stored in clear, as the demo realm's sandbox tenant has it, comes out masked.
                    JsonNode export = env.admin().post("/realms/" + env.realm() + "/partial-export?exportClients=false&exportGroupsAndRoles=false", "").json();
                    JsonNode sandbox = java.util.stream.StreamSupport.stream(export.path("identityProviders").spliterator(), false)
                            .filter(idp -> idp.path("alias").asText().equals(Environment.SANDBOX_IDP)).findFirst().orElseThrow();
                    assertThat(sandbox.path("config").path("clientSecret").asText()).isEqualTo("**********");
                }));
    }

    @Test
    void generic_ehr() {
        aliases.add("guide-generic");
        Map<String, String> values = values("guide-generic", Launches.APP);
        values.put("FHIR_BASE", env.simulator().fhirBase(Environment.GENERIC_TENANT));
        values.put("CLIENT_ID", Environment.GENERIC_CLIENT_ID);
        values.put("CLIENT_SECRET", Environment.GENERIC_CLIENT_SECRET);
        String realmUrl = env.realmUrl();
        follow("generic-ehr.md", values, Map.of(
                "discovery", (r, v) -> assertThat(json(r).path("code_challenge_methods_supported").toString()).contains("S256"),
                "create-tenant", (r, v) -> assertThat(r.stdout().trim()).isEqualTo("201"),
                "registration", (r, v) -> {
                    List<String> lines = r.stdout().lines().toList();
                    assertThat(lines.get(lines.size() - 1)).isEqualTo("303");
                    JsonNode urls = Json.parse(String.join("\n", lines.subList(0, lines.size() - 1)));
                    assertThat(urls.path("providerId").asText()).isEqualTo("smart");
                    assertThat(urls.path("redirectUri").asText()).isEqualTo(realmUrl + "/broker/guide-generic/endpoint");
                    assertThat(urls.path("jwksUrl").asText()).isEqualTo(realmUrl + "/smart/jwks");
                }));
    }
}
