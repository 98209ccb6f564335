package dev.smartbroker.smart.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smartbroker.smart.http.UpstreamException;
import org.junit.jupiter.api.Test;

class TokenResponseTest {

    // docs/ehr/cerner.md §2.5, Jan 2025 shape.
    private static final String LAUNCH_RESPONSE = """
            {"need_patient_banner":true,"id_token":"eyJ.id.token","smart_style_url":"https://smart.cerner.com/styles/smart-v1.json",
             "active_ttl":34969,"encounter":"97953492","token_type":"Bearer","access_token":"eyJ6aXAiOiJERUYi.a.b.c.d",
             "refresh_token":"eyJpZCI6secret==","patient":"12724069",
             "scope":"launch online_access openid patient/Patient.read profile","expires_in":570,"user":"12742069",
             "tenant":"ec2458f2-1e24-41c8-b71b-0e701af7583d","username":"portal"}""";

    @Test
    void reads_every_field_cerner_sends_on_an_ehr_launch() throws Exception {
        TokenResponse r = TokenResponse.parse(LAUNCH_RESPONSE);
        assertThat(r.patient()).isEqualTo("12724069");
        assertThat(r.encounter()).isEqualTo("97953492");
        assertThat(r.tenant()).isEqualTo("ec2458f2-1e24-41c8-b71b-0e701af7583d");
        assertThat(r.user()).isEqualTo("12742069");
        assertThat(r.username()).isEqualTo("portal");
        assertThat(r.needPatientBanner()).isTrue();
        assertThat(r.smartStyleUrl()).isEqualTo("https://smart.cerner.com/styles/smart-v1.json");
        assertThat(r.expiresIn()).isEqualTo(570);
        assertThat(r.refreshToken()).isEqualTo("eyJpZCI6secret==");
        assertThat(r.scope()).contains("online_access");
    }

    @Test
    void never_prints_a_token() throws Exception {
        assertThat(TokenResponse.parse(LAUNCH_RESPONSE).toString())
                .doesNotContain("eyJ").doesNotContain("secret").doesNotContain("12724069");
    }

    @Test
    void a_refresh_response_without_refresh_token_is_still_a_token_response() throws Exception {
        TokenResponse r = TokenResponse.parse(
                "{\"access_token\":\"a\",\"scope\":\"user/Observation.read online_access\",\"token_type\":\"Bearer\",\"expires_in\":570}");
        assertThat(r.refreshToken()).isNull();
        assertThat(r.patient()).isNull();
    }

    @Test
    void refuses_bodies_that_are_not_token_responses() {
        assertThatThrownBy(() -> TokenResponse.parse("<html>oops</html>")).isInstanceOf(UpstreamException.class);
        assertThatThrownBy(() -> TokenResponse.parse("{\"token_type\":\"Bearer\"}")).hasMessageContaining("no access_token");
        assertThatThrownBy(() -> TokenResponse.parse("{\"access_token\":")).isInstanceOf(UpstreamException.class);
    }

    @Test
    void classifies_cerner_error_bodies() {
        UpstreamException expired = TokenResponse.error(400, """
                {"error":"invalid_grant","error_uri":"https://authorization.cerner.com/errors/urn%3Acerner%3Aerror%3Aauthorization-server%3Aoauth2%3Atoken%3Acode-invalid-or-expired/instances/1?client=c&tenant=t"}""",
                UpstreamException.Kind.TOKEN_ERROR);
        assertThat(expired.kind()).isEqualTo(UpstreamException.Kind.INVALID_GRANT);
        assertThat(expired.ehrError()).isEqualTo("invalid_grant");
        assertThat(expired.errorUri()).contains("code-invalid-or-expired");
        assertThat(TokenResponse.error(401, "{\"error\":\"invalid_client\"}", UpstreamException.Kind.TOKEN_ERROR).kind())
                .isEqualTo(UpstreamException.Kind.INVALID_CLIENT);
        assertThat(TokenResponse.error(401, "", UpstreamException.Kind.TOKEN_ERROR).kind()).isEqualTo(UpstreamException.Kind.INVALID_CLIENT);
        assertThat(TokenResponse.error(503, "<html>", UpstreamException.Kind.TOKEN_ERROR).kind()).isEqualTo(UpstreamException.Kind.TOKEN_ERROR);
    }
}
