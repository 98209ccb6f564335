package dev.smartbroker.smart.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Set;

import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.support.SafeText;
import org.junit.jupiter.api.Test;

class LaunchErrorsTest {

    @Test
    void links_only_to_pages_of_the_tenant_s_authorization_hosts() {
        Set<String> hosts = Set.of("authorization.cerner.com", "127.0.0.1:8088");
        assertThat(LaunchErrors.trustedLink("https://authorization.cerner.com/errors/x/instances/1?client=a", hosts, false)).isNotNull();
        assertThat(LaunchErrors.trustedLink("http://127.0.0.1:8088/errors/x", hosts, true)).isEqualTo("http://127.0.0.1:8088/errors/x");
        assertThat(LaunchErrors.trustedLink("http://127.0.0.1:8088/errors/x", hosts, false)).as("http outside sandboxes").isNull();
        assertThat(LaunchErrors.trustedLink("http://127.0.0.1:9999/errors/x", hosts, true)).as("another port").isNull();
        assertThat(LaunchErrors.trustedLink("https://evil.example/phish", hosts, false)).isNull();
        assertThat(LaunchErrors.trustedLink("https://authorization.cerner.com.evil.example/x", hosts, false)).isNull();
        assertThat(LaunchErrors.trustedLink("javascript:alert(1)", hosts, true)).isNull();
        assertThat(LaunchErrors.trustedLink("data:text/html,hi", hosts, true)).isNull();
        assertThat(LaunchErrors.trustedLink("/relative", hosts, true)).isNull();
        assertThat(LaunchErrors.trustedLink("https://user:pw@authorization.cerner.com/", hosts, false)).isNull();
        assertThat(LaunchErrors.trustedLink(null, hosts, true)).isNull();
    }

    @Test
    void caller_text_for_logs_and_events_is_bounded_and_has_no_control_characters() {
        assertThat(SafeText.bounded("x".repeat(5_000))).hasSize(SafeText.SHORT + 1).endsWith("…");
        assertThat(SafeText.bounded("a\u0000b\r\nINFO forged")).isEqualTo("a?b??INFO forged");
        assertThat(SafeText.bounded("plain", 10)).isEqualTo("plain");
        assertThat(SafeText.bounded(null)).isNull();
    }

    @Test
    void every_problem_has_its_own_event_error_and_message() {
        assertThat(Arrays.stream(LaunchErrors.Problem.values()).map(p -> p.eventError(null)).distinct())
                .hasSize(LaunchErrors.Problem.values().length);
        assertThat(Arrays.stream(LaunchErrors.Problem.values()).map(LaunchErrors.Problem::messageKey).distinct())
                .hasSize(LaunchErrors.Problem.values().length);
        for (UpstreamException.Kind kind : UpstreamException.Kind.values()) {
            assertThat(LaunchErrors.Problem.of(kind)).isNotNull();
        }
    }
}
