package dev.smartbroker.cerner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class LaunchErrorsTest {

    @Test
    void links_only_to_web_urls() {
        assertThat(LaunchErrors.safeLink("https://authorization.cerner.com/errors/x/instances/1?client=a")).isNotNull();
        assertThat(LaunchErrors.safeLink("http://127.0.0.1:8088/errors/x")).isNotNull();
        assertThat(LaunchErrors.safeLink("javascript:alert(1)")).isNull();
        assertThat(LaunchErrors.safeLink("data:text/html,hi")).isNull();
        assertThat(LaunchErrors.safeLink("/relative")).isNull();
        assertThat(LaunchErrors.safeLink("https://user:pw@evil.example/")).isNull();
        assertThat(LaunchErrors.safeLink(null)).isNull();
    }

    @Test
    void reads_the_error_urn_out_of_cerner_s_error_uri() {
        assertThat(LaunchErrors.cernerErrorUrn("https://authorization.cerner.com/errors/"
                + "urn%3Acerner%3Aerror%3Aauthorization-server%3Asmart-v1%3Agrant%3Alaunch%3Ainvalid-launch-code"
                + "/instances/5f0?persona=provider&client=c&tenant=t"))
                .isEqualTo("urn:cerner:error:authorization-server:smart-v1:grant:launch:invalid-launch-code");
        assertThat(LaunchErrors.cernerErrorUrn("https://example.org/nothing")).isNull();
        assertThat(LaunchErrors.cernerErrorUrn(null)).isNull();
    }

    @Test
    void every_problem_has_its_own_event_error_and_message() {
        assertThat(Arrays.stream(LaunchErrors.Problem.values()).map(LaunchErrors.Problem::eventError).distinct())
                .hasSize(LaunchErrors.Problem.values().length);
        assertThat(Arrays.stream(LaunchErrors.Problem.values()).map(LaunchErrors.Problem::messageKey).distinct())
                .hasSize(LaunchErrors.Problem.values().length);
        for (CernerException.Kind kind : CernerException.Kind.values()) {
            assertThat(LaunchErrors.Problem.of(kind)).isNotNull();
        }
    }
}
