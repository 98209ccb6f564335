package dev.smartbroker.smart.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.junit.jupiter.api.Test;

/** The launch error page shows {@code <messageKey>Title} and {@code <messageKey>} of the themes module, in each language. */
class LaunchErrorMessagesTest {

    private static final List<String> LANGUAGES = List.of("en", "es");

    private static Properties messages(String bundle, String language) throws IOException {
        String path = bundle + "/messages_" + language + ".properties";
        try (InputStream in = LaunchErrorMessagesTest.class.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as(path).isNotNull();
            Properties properties = new Properties();
            properties.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            return properties;
        }
    }

    @Test
    void every_problem_has_a_title_and_a_text_in_every_language() throws IOException {
        for (String language : LANGUAGES) {
            Properties messages = messages("theme-resources/messages", language);
            for (LaunchErrors.Problem problem : LaunchErrors.Problem.values()) {
                assertThat(messages.getProperty(problem.messageKey())).as(language + " " + problem).isNotBlank();
                assertThat(messages.getProperty(problem.messageKey() + "Title")).as(language + " " + problem + " title").isNotBlank();
            }
            assertThat(messages.getProperty("smartMoreInformation")).as(language).isNotBlank();
            assertThat(messages.getProperty("smartNextStep")).as(language).isNotBlank();
        }
    }

    @Test
    void every_language_translates_every_message() throws IOException {
        for (String bundle : List.of("theme-resources/messages", "theme/smart/login/messages")) {
            Properties english = messages(bundle, "en");
            for (String language : LANGUAGES) {
                assertThat(messages(bundle, language).stringPropertyNames()).as(bundle + " " + language)
                        .containsExactlyInAnyOrderElementsOf(english.stringPropertyNames());
            }
        }
    }

    @Test
    void messages_name_no_ehr_and_take_the_profile_s_words() throws IOException {
        for (String language : LANGUAGES) {
            Properties messages = messages("theme-resources/messages", language);
            for (String key : messages.stringPropertyNames()) {
                String text = messages.getProperty(key);
                assertThat(text).as(language + " " + key).doesNotContainIgnoringCase("cerner").doesNotContainIgnoringCase("powerchart");
                String formatted = new MessageFormat(text, Locale.forLanguageTag(language))
                        .format(new Object[] {"app-1", "Cerner", "PowerChart", "Cerner"});
                assertThat(formatted).as(language + " " + key).doesNotContain("{").doesNotContain("''");
            }
            assertThat(new MessageFormat(messages.getProperty("smartErrorEhrUnreachableTitle")).format(
                    new Object[] {"", "the EHR", "the EHR", "The EHR"})).doesNotStartWith("the");
        }
    }

    @Test
    void references_are_short_unambiguous_and_differ() {
        String a = LaunchErrors.reference();
        assertThat(a).matches("[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}");
        assertThat(java.util.stream.IntStream.range(0, 200).mapToObj(i -> LaunchErrors.reference()).distinct()).hasSize(200);
    }
}
