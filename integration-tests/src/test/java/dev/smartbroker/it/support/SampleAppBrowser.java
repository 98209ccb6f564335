package dev.smartbroker.it.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A clinician's real browser (Debian's Chromium) on the simulated PowerChart and the sample app: launch an app for a
 * patient, sign in at the EHR when it asks, land on the app's page for that launch, reload, read the page.
 */
public final class SampleAppBrowser implements AutoCloseable {

    private final WebDriver driver;
    private final WebDriverWait wait;
    private final Path screenshots;

    public SampleAppBrowser() throws Exception {
        Path work = Path.of(System.getProperty("it.work.dir", "target/it-work"));
        this.screenshots = Files.createDirectories(work.resolve("screenshots"));
        this.driver = Chromium.start(Files.createTempDirectory(work, "chromium-"));
        this.wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    public WebDriver driver() {
        return driver;
    }

    public WebDriverWait await() {
        return wait;
    }

    /** In the simulated PowerChart of {@code tenant}, launches the broker's registration {@code cernerClient} for a patient. */
    public void launchFromPowerChart(Environment env, String tenant, String patientId, String cernerClient) {
        driver.get(env.simulator().baseUrl() + "/launcher?tenant=" + tenant);
        WebElement row = driver.findElement(By.id("launch-" + patientId));
        new Select(row.findElement(By.name("app"))).selectByValue(cernerClient);
        row.findElement(By.tagName("button")).click();
    }

    /** Signs in at the EHR as {@code username} if asked, allows the app if asked; returns the app page's URL. */
    public String signInAndAwaitTheApp(Environment env, String username, String password) {
        wait.until(ExpectedConditions.or(ExpectedConditions.presenceOfElementLocated(By.id("login")),
                ExpectedConditions.presenceOfElementLocated(By.id("allow")), ExpectedConditions.presenceOfElementLocated(By.id("context"))));
        if (!driver.findElements(By.id("login")).isEmpty()) {
            driver.findElement(By.id("username")).sendKeys(username);
            driver.findElement(By.id("password")).sendKeys(password);
            driver.findElement(By.id("sign-in")).click();
            wait.until(ExpectedConditions.or(ExpectedConditions.presenceOfElementLocated(By.id("allow")),
                    ExpectedConditions.presenceOfElementLocated(By.id("context"))));
        }
        if (!driver.findElements(By.id("allow")).isEmpty()) {
            driver.findElement(By.id("allow")).click();
        }
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("context")));
        if (!driver.getCurrentUrl().startsWith(env.sampleAppUrl() + "/launch/")) {
            throw new AssertionError("the launch landed on " + driver.getCurrentUrl());
        }
        return driver.getCurrentUrl();
    }

    /** Opens {@code url} in the current tab and waits for the app's page, or its "launch ended" page. */
    public void open(String url) {
        driver.get(url);
        wait.until(ExpectedConditions.or(ExpectedConditions.presenceOfElementLocated(By.id("context")),
                ExpectedConditions.presenceOfElementLocated(By.id("launch-ended"))));
    }

    public String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    public boolean has(String id) {
        return !driver.findElements(By.id(id)).isEmpty();
    }

    public void screenshot(String name) throws Exception {
        Files.write(screenshots.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
