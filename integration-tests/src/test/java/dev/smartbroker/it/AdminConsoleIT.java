package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smartbroker.it.support.Browser;
import dev.smartbroker.it.support.Chromium;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.Launches;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import dev.smartbroker.simulator.AppRegistration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * An integration engineer sets a tenant up in Keycloak's own admin console, in headless Chromium, with the EHR's
 * developer console (here: the simulator's registration) beside it: fills the form, sees the connection check refuse a
 * wrong secret with advice, fixes it, sees the URLs to register on the tenant's page, and a clinician launches through it.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class AdminConsoleIT {

    private static final String ALIAS = "it-console";
    private static final String CLIENT_ID = "smart-broker-console";
    private static final String SECRET = "console-secret";

    private final Environment env;
    private WebDriver browser;
    private WebDriverWait wait;
    private Path screenshots;

    AdminConsoleIT(Environment env) {
        this.env = env;
    }

    @BeforeEach
    void open() throws Exception {
        Path work = Path.of(System.getProperty("it.work.dir", "target/it-work"));
        screenshots = Files.createDirectories(work.resolve("screenshots"));
        browser = Chromium.start(Files.createTempDirectory(work, "chromium-"));
        wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        // The app as registered in the EHR's developer console, with this tenant's redirect URI.
        env.simulator().registerApp(new AppRegistration(CLIENT_ID, "SMART broker (admin console test)", SECRET,
                List.of(env.realmUrl() + "/broker/" + ALIAS + "/endpoint"), env.realmUrl() + "/smart-launch/sample-app",
                Environment.PROVIDER_SCOPES, null, "v1", "provider", false));
    }

    @AfterEach
    void close() {
        if (browser != null) {
            browser.quit();
        }
        env.admin().delete("/realms/" + env.realm() + "/identity-provider/instances/" + ALIAS);
        env.simulator().removeApp(CLIENT_ID);
    }

    private WebElement field(String testId) {
        return wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("[data-testid='" + testId + "']")));
    }

    /** Replaces the input's text by typing over it (the add form refills an alias field that becomes empty). */
    private void type(WebElement input, String value) {
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"));
        input.sendKeys(value);
        assertThat(input.getAttribute("value")).isEqualTo(value);
    }

    private String body() {
        return browser.findElement(By.tagName("body")).getText();
    }

    @Test
    void a_tenant_is_added_checked_and_launched_through() throws Exception {
        browser.get(env.keycloak().url() + "/admin/master/console/#/" + env.realm() + "/identity-providers/cerner/add");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("username"))).sendKeys("admin");
        browser.findElement(By.id("password")).sendKeys("admin");
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), "FHIR base URL (iss)"));
        assertThat(body()).contains("Check the connection when saving", "SMART scopes");

        type(field("alias"), ALIAS);
        type(field("config.clientId"), CLIENT_ID);
        type(field("config.clientSecret"), "a-secret-with-a-typo");
        type(field("fhirBaseUrl"), env.simulator().fhirBase(Environment.SETUP_TENANT));
        browser.findElement(By.id("environment")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//*[@role='option' and normalize-space()='sandbox']"))).click();
        type(field("smartScopes"), "openid fhirUser profile user/Patient.read user/Encounter.read");
        screenshot("admin-console-tenant-filled-in");

        // Red: the check refuses the save and says what to fix in Code Console.
        field("createProvider").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), "Connection check failed"));
        screenshot("admin-console-check-failed");
        assertThat(body()).contains("Code Console", CLIENT_ID).doesNotContain("a-secret-with-a-typo");
        assertThat(env.admin().get("/realms/" + env.realm() + "/identity-provider/instances/" + ALIAS).status()).isEqualTo(404);

        // Green: with the right secret the tenant is saved, and its page shows what to register.
        type(field("config.clientSecret"), SECRET);
        field("createProvider").click();
        String launchUri = env.realmUrl() + "/smart-launch/sample-app";
        wait.until(ExpectedConditions.urlContains("/identity-providers/cerner/" + ALIAS + "/settings"));
        // The page renders twice while it loads the saved tenant: look the field up afresh on each poll.
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> launchUri.equals(
                d.findElement(By.cssSelector("[data-testid='registrationLaunchUri']")).getAttribute("value")));
        screenshot("admin-console-tenant-saved");
        assertThat(field("registrationJwksUrl").getAttribute("value")).isEqualTo(env.realmUrl() + "/cerner/jwks");
        // Keycloak's own Redirect URI field, the third URL Code Console asks for.
        assertThat(browser.findElements(By.tagName("input")).stream().map(input -> input.getAttribute("value")))
                .contains(env.realmUrl() + "/broker/" + ALIAS + "/endpoint");
        assertThat(field("connectionCheckResult").getAttribute("value")).startsWith("OK at ").contains("client ✓");

        JsonNode stored = env.admin().get("/realms/" + env.realm() + "/identity-provider/instances/" + ALIAS).json();
        assertThat(stored.path("hideOnLogin").asBoolean()).isTrue();
        assertThat(stored.path("config").path("syncMode").asText()).isEqualTo("FORCE");

        // A clinician launches through the new tenant.
        Launches launches = new Launches(env);
        Browser clinician = new Browser();
        String handle = launches.handleOf(launches.openLaunchUri(clinician, Environment.SETUP_TENANT, "WILMA", CLIENT_ID));
        Launches.Launched launch = launches.login(clinician, handle, Launches.Binding.HANDLE, "portal", "portal");
        assertThat(launch.tokens().idTokenClaims().path("patient").asText()).isEqualTo("12724065");
        assertThat(launch.tokens().idTokenClaims().path("tenant").asText()).isEqualTo(Environment.SETUP_TENANT);
    }

    private void screenshot(String name) throws Exception {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(screenshots.resolve(name + ".png"), png);
    }
}
