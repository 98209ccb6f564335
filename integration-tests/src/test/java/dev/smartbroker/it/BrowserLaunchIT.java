package dev.smartbroker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.smartbroker.it.support.Chromium;
import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** What a clinician and an admin see, in a real browser (Debian's headless Chromium). */
@ExtendWith(SmartBrokerEnvironment.class)
class BrowserLaunchIT {

    private WebDriver browser;
    private Path screenshots;

    @BeforeEach
    void open() throws Exception {
        Path work = Path.of(System.getProperty("it.work.dir", "target/it-work"));
        screenshots = Files.createDirectories(work.resolve("screenshots"));
        browser = Chromium.start(Files.createTempDirectory(work, "chromium-"));
    }

    @AfterEach
    void close() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void a_clinician_launches_the_sample_app_from_powerchart_and_sees_wilma(Environment env) throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        browser.get(env.simulator().baseUrl() + "/launcher?tenant=" + Environment.SANDBOX_TENANT);
        WebElement row = browser.findElement(By.id("launch-12724065"));
        new Select(row.findElement(By.name("app"))).selectByValue(Environment.BROKER_CLIENT_ID);
        row.findElement(By.tagName("button")).click();

        // Cerner's login, then its consent: the only pages on the way.
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("login")));
        browser.findElement(By.id("username")).sendKeys("portal");
        browser.findElement(By.id("password")).sendKeys("portal");
        browser.findElement(By.id("sign-in")).click();
        try {
            wait.withTimeout(Duration.ofSeconds(5)).until(ExpectedConditions.presenceOfElementLocated(By.id("allow")));
            browser.findElement(By.id("allow")).click();
        } catch (org.openqa.selenium.TimeoutException alreadyConsented) {
            // consent remembered from an earlier launch of this clinician
        }

        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(By.id("context")));
        screenshot("sample-app-wilma");
        assertThat(browser.getCurrentUrl()).startsWith(env.sampleAppUrl());
        String fhirBase = env.simulator().fhirBase(Environment.SANDBOX_TENANT);
        assertThat(browser.findElement(By.id("id-patient")).getText()).isEqualTo("12724065");
        assertThat(browser.findElement(By.id("at-patient")).getText()).isEqualTo("12724065");
        assertThat(browser.findElement(By.id("id-encounter")).getText()).isEqualTo("97953483");
        assertThat(browser.findElement(By.id("id-fhirUser")).getText()).isEqualTo(fhirBase + "/Practitioner/12742069");
        assertThat(browser.findElement(By.id("id-tenant")).getText()).isEqualTo(Environment.SANDBOX_TENANT);
        assertThat(browser.findElement(By.id("id-fhir_base")).getText()).isEqualTo(fhirBase);
        // The app read its patient from Cerner's FHIR API with the Cerner token of its launch.
        assertThat(browser.findElement(By.id("banner-name")).getText()).isEqualTo("SMART, WILMA");
        assertThat(browser.findElement(By.id("banner-birthdate")).getText()).isEqualTo("1947-02-10");
        assertThat(browser.findElement(By.id("banner-gender")).getText()).isEqualTo("female");
    }

    @Test
    void an_unknown_iss_shows_the_launch_error_page_in_the_realm_theme(Environment env) throws Exception {
        browser.get(env.realmUrl() + "/smart-launch/sample-app?iss=https://fhir.example.org/r4/nowhere&launch=x");
        screenshot("unknown-iss");
        assertThat(browser.findElement(By.id("kc-page-title")).getText()).isEqualTo("Unknown EHR");
        assertThat(browser.findElement(By.id("smart-error-message")).getText()).contains("Nothing was sent to that EHR");
    }

    @Test
    void an_admin_configures_a_cerner_tenant_in_the_admin_console(Environment env) throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        browser.get(env.keycloak().url() + "/admin/master/console/#/smart/identity-providers/cerner/add");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("username")));
        browser.findElement(By.id("username")).sendKeys("admin");
        browser.findElement(By.id("password")).sendKeys("admin");
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), "FHIR base URL (iss)"));
        screenshot("admin-console-add-cerner-tenant");
        String page = browser.findElement(By.tagName("body")).getText();
        assertThat(page).contains("FHIR base URL (iss)", "Environment", "Client authentication", "SMART scopes", "SMART version",
                "Type of access", "PKCE", "Backend services grants");
    }

    private void screenshot(String name) throws Exception {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(screenshots.resolve(name + ".png"), png);
    }
}
