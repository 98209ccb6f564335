package dev.smartbroker.sampleapp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpStatus;
import org.springframework.web.util.HtmlUtils;

/**
 * The app's plain pages. Their texts are fixed: nothing a request carries (state, error, path) is ever put into them,
 * and whatever dynamic value a page does show goes through {@link #esc}.
 */
final class Pages {

    static final String LAUNCH_ENDED = "This launch could not be completed (it expired or another window replaced it). "
            + "Close this window and open the app again from the patient's chart.";
    /** A login whose code Keycloak refused at the exchange: the code expired, was used already, or its launch is gone. */
    static final String LAUNCH_EXPIRED = "This launch has expired or was already used. "
            + "Close this window and open the app again from the patient's chart.";
    static final String NO_LAUNCH = "This app shows the patient of a launch from the EHR. Open this app from the patient's chart.";
    static final String OUTDATED = "This page was out of date (the app was opened again in another window since), "
            + "so nothing was done. Try again.";
    static final String UNAVAILABLE = "The sign-in service did not answer. Reload this page to try again.";

    private Pages() {
    }

    static String page(String title, String body) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>"
                + "<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}form{display:inline;margin-right:1rem}</style>"
                + "</head><body>" + body + "</body></html>";
    }

    /** A tab whose launch is gone, or a login that came back to nothing. */
    static String launchEnded() {
        return page("Launch ended", "<h1>Sample SMART app</h1><p id=\"launch-ended\">" + esc(LAUNCH_ENDED) + "</p>");
    }

    /** A login callback whose code Keycloak would not exchange (invalid_grant). */
    static String launchExpired() {
        return page("Launch expired", "<h1>Sample SMART app</h1><p id=\"launch-expired\">" + esc(LAUNCH_EXPIRED) + "</p>");
    }

    static String noLaunch() {
        return page("Sample SMART app", "<h1>Sample SMART app</h1><p id=\"no-launch\">" + esc(NO_LAUNCH) + "</p>");
    }

    static String loggedOut() {
        return page("Signed out", "<p id=\"logged-out\">Signed out.</p>");
    }

    static String unavailable() {
        return page("Try again", "<h1>Sample SMART app</h1><p id=\"unavailable\">" + esc(UNAVAILABLE) + "</p>");
    }

    /** Any other error: its status and standard reason, nothing else. */
    static String error(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        String reason = known == null ? "Error" : known.getReasonPhrase();
        return page(reason, "<h1>Sample SMART app</h1><p id=\"error\">" + status + " " + esc(reason) + "</p>");
    }

    /** Writes a page from a filter or handler, outside Spring MVC. */
    static void write(HttpServletResponse response, int status, String html) throws IOException {
        response.setStatus(status);
        response.setContentType("text/html;charset=UTF-8");
        response.setHeader("Cache-Control", "no-store");
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    static String esc(Object value) {
        return value == null ? "" : HtmlUtils.htmlEscape(String.valueOf(value));
    }
}
