package dev.smartbroker.smart.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FhirBaseUrlTest {

    private static final String SANDBOX = "https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d";

    @Nested
    class Canonical_form {

        @Test
        void drops_a_trailing_slash_and_the_default_port() {
            assertThat(FhirBaseUrl.parse(SANDBOX + "/").orElseThrow().value()).isEqualTo(SANDBOX);
            assertThat(FhirBaseUrl.parse("https://fhir-ehr-code.cerner.com:443/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d").orElseThrow())
                    .isEqualTo(FhirBaseUrl.parse(SANDBOX).orElseThrow());
        }

        @Test
        void lowercases_scheme_and_host_but_keeps_the_tenant_case() {
            FhirBaseUrl url = FhirBaseUrl.parse("HTTPS://FHIR-EHR.Cerner.com/r4/hH7nD2kqV9sLxP4tR6wB8zF1cJ3mQ5yA").orElseThrow();
            assertThat(url.value()).isEqualTo("https://fhir-ehr.cerner.com/r4/hH7nD2kqV9sLxP4tR6wB8zF1cJ3mQ5yA");
            assertThat(url.path()).endsWith("/hH7nD2kqV9sLxP4tR6wB8zF1cJ3mQ5yA");
        }

        @Test
        void tenants_differing_only_in_case_are_different_tenants() {
            assertThat(FhirBaseUrl.parse("https://fhir-ehr.cerner.com/r4/AbC").orElseThrow())
                    .isNotEqualTo(FhirBaseUrl.parse("https://fhir-ehr.cerner.com/r4/abc").orElseThrow());
        }

        @Test
        void keeps_a_non_default_port_in_the_authority() {
            FhirBaseUrl url = FhirBaseUrl.parse("http://127.0.0.1:8088/r4/t1").orElseThrow();
            assertThat(url.authority()).isEqualTo("127.0.0.1:8088");
            assertThat(url.isLoopback()).isTrue();
            assertThat(url.isHttps()).isFalse();
        }
    }

    @Nested
    class Rejects {

        @Test
        void values_that_cannot_name_a_tenant() {
            assertThat(FhirBaseUrl.parse(null)).isEmpty();
            assertThat(FhirBaseUrl.parse("")).isEmpty();
            assertThat(FhirBaseUrl.parse("not a url")).isEmpty();
            assertThat(FhirBaseUrl.parse("ftp://fhir.example/r4/t")).isEmpty();
            assertThat(FhirBaseUrl.parse("https://fhir.example")).isEmpty();
            assertThat(FhirBaseUrl.parse("https://fhir.example/")).isEmpty();
        }

        @Test
        void urls_with_query_fragment_user_info_or_dot_segments() {
            assertThat(FhirBaseUrl.parse(SANDBOX + "?x=1")).isEmpty();
            assertThat(FhirBaseUrl.parse(SANDBOX + "#frag")).isEmpty();
            assertThat(FhirBaseUrl.parse("https://user@fhir-ehr-code.cerner.com/r4/t")).isEmpty();
            assertThat(FhirBaseUrl.parse("https://fhir-ehr-code.cerner.com/r4/../t")).isEmpty();
            assertThat(FhirBaseUrl.parse("https://fhir-ehr-code.cerner.com//r4/t")).isEmpty();
        }
    }

    @Test
    void recognises_loopback_hosts_only() {
        assertThat(FhirBaseUrl.isLoopbackHost("localhost")).isTrue();
        assertThat(FhirBaseUrl.isLoopbackHost("127.0.0.1")).isTrue();
        assertThat(FhirBaseUrl.isLoopbackHost("127.1.2.3")).isTrue();
        assertThat(FhirBaseUrl.isLoopbackHost("[::1]")).isTrue();
        assertThat(FhirBaseUrl.isLoopbackHost("localhost.evil.example")).isFalse();
        assertThat(FhirBaseUrl.isLoopbackHost("10.0.0.1")).isFalse();
        assertThat(FhirBaseUrl.isLoopbackHost(null)).isFalse();
    }
}
