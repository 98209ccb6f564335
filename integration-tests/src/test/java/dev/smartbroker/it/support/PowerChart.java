package dev.smartbroker.it.support;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The simulator's PowerChart-like launcher, used as a clinician does: pick a patient and an app, launch. Returns the
 * app's SMART Launch URI with {@code iss} and {@code launch}, as PowerChart opens it.
 */
public final class PowerChart {

    private PowerChart() {
    }

    /**
     * Launches {@code cernerClientId} for the patient whose name contains {@code patientName} in {@code tenant}.
     *
     * @return the 303 to the Launch URI (not followed)
     */
    public static Browser.Page launch(Browser browser, Environment env, String tenant, String patientName, String cernerClientId) {
        Browser.Page launcher = browser.get(env.simulator().baseUrl() + "/launcher?tenant=" + tenant);
        if (launcher.status() != 200) {
            throw new AssertionError("launcher answered " + launcher.status() + ": " + launcher.body());
        }
        Document page = launcher.document();
        for (Element form : page.select("form")) {
            if (!form.text().toUpperCase(Locale.ROOT).contains(patientName.toUpperCase(Locale.ROOT))
                    && form.select("option").stream().noneMatch(o -> o.text().toUpperCase(Locale.ROOT).contains(patientName.toUpperCase(Locale.ROOT)))) {
                continue;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (Element select : form.select("select[name]")) {
                for (Element option : select.select("option")) {
                    String text = (option.text() + " " + option.attr("value")).toUpperCase(Locale.ROOT);
                    if (text.contains(patientName.toUpperCase(Locale.ROOT)) || option.attr("value").equals(cernerClientId)
                            || option.attr("value").equals(tenant)) {
                        fields.put(select.attr("name"), option.attr("value"));
                    }
                }
            }
            for (Element radio : form.select("input[type=radio][name]")) {
                String label = radio.parent() == null ? "" : radio.parent().text();
                String text = (label + " " + radio.attr("value")).toUpperCase(Locale.ROOT);
                if (text.contains(patientName.toUpperCase(Locale.ROOT)) || radio.attr("value").equals(cernerClientId)) {
                    fields.put(radio.attr("name"), radio.attr("value"));
                }
            }
            form.attr("data-it-selected", "true");
            Browser.Page result = browser.submit(new Browser.Page(launcher.status(), launcher.url(), page.outerHtml(), launcher.headers()),
                    "form[data-it-selected]", fields);
            if (result.isRedirect()) {
                return result;
            }
            throw new AssertionError("launcher did not redirect: " + result.status() + " " + result.body());
        }
        throw new AssertionError("no launcher form for " + patientName + ":\n" + launcher.body());
    }
}
