package dev.smartbroker.it.support;

import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * What a clinician does on the simulated Cerner pages: sign in, then allow the app. Drives a {@link Browser}
 * through a redirect chain until the chain leaves for {@code stop}.
 */
public final class CernerPages {

    private CernerPages() {
    }

    /** A page that is neither a redirect nor a Cerner login or consent page. */
    public static final class UnexpectedPage extends AssertionError {

        private static final long serialVersionUID = 1L;
        private final transient Browser.Page page;

        UnexpectedPage(Browser.Page page) {
            super("unexpected page " + page.status() + " " + page.url() + "\n" + page.body());
            this.page = page;
        }

        public Browser.Page page() {
            return page;
        }
    }

    /**
     * Follows {@code page} through Keycloak and Cerner, signing in as {@code username} and allowing the app when
     * asked, and returns the redirect whose location {@code stop} accepts (not followed).
     */
    public static Browser.Page signInAndAllow(Browser browser, Browser.Page page, String username, String password,
                                              Predicate<String> stop) {
        Browser.Page current = page;
        for (int steps = 0; steps < 12; steps++) {
            current = browser.follow(current, stop);
            if (current.isRedirect() && stop.test(current.location())) {
                return current;
            }
            Document document = current.document();
            Element passwordField = document.selectFirst("form input[type=password]");
            if (passwordField != null) {
                Element form = passwordField.closest("form");
                Element user = form.selectFirst("input[type=text], input[type=email], input[name=username]");
                current = browser.submit(current, cssOf(form), Map.of(user.attr("name"), username, passwordField.attr("name"), password));
                continue;
            }
            Element allow = allowButton(document);
            if (allow != null) {
                Element form = allow.closest("form");
                Map<String, String> fields = allow.hasAttr("name") ? Map.of(allow.attr("name"), allow.attr("value")) : Map.of();
                current = browser.submit(current, cssOf(form), fields);
                continue;
            }
            throw new UnexpectedPage(current);
        }
        throw new AssertionError("too many steps; last page " + current);
    }

    /** The consent page's allow button, if this is a consent page. */
    static Element allowButton(Document document) {
        for (Element button : document.select("form button, form input[type=submit]")) {
            String text = (button.text() + " " + button.attr("value") + " " + button.attr("name") + " " + button.id()).toLowerCase(Locale.ROOT);
            if (text.contains("allow") || text.contains("approve") || text.contains("accept")) {
                return button;
            }
        }
        return null;
    }

    /** The consent page's deny button, if this is a consent page. */
    public static Element denyButton(Document document) {
        for (Element button : document.select("form button, form input[type=submit]")) {
            String text = (button.text() + " " + button.attr("value") + " " + button.attr("name") + " " + button.id()).toLowerCase(Locale.ROOT);
            if (text.contains("deny") || text.contains("decline") || text.contains("cancel")) {
                return button;
            }
        }
        return null;
    }

    static String cssOf(Element form) {
        if (form.id() != null && !form.id().isEmpty()) {
            return "form#" + form.id();
        }
        int index = form.elementSiblingIndex();
        return form.cssSelector().isEmpty() ? "form" : form.cssSelector() + (index < 0 ? "" : "");
    }
}
