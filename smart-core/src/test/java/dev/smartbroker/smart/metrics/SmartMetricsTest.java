package dev.smartbroker.smart.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import java.util.stream.Stream;

import dev.smartbroker.smart.http.UpstreamException;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;
import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.models.KeycloakContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;

class SmartMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SmartMetrics metrics = SmartMetrics.on(registry);

    private static KeycloakSession sessionOfRealm(String name) {
        KeycloakSession session = mock(KeycloakSession.class);
        KeycloakContext context = mock(KeycloakContext.class);
        RealmModel realm = mock(RealmModel.class);
        when(session.getContext()).thenReturn(context);
        when(context.getRealm()).thenReturn(realm);
        when(realm.getName()).thenReturn(name);
        return session;
    }

    private enum Problem { UNKNOWN_TENANT }

    @Test
    void a_refused_launch_counts_under_its_problem_in_lower_case_and_an_unknown_tenant_as_unknown() {
        KeycloakSession session = sessionOfRealm("smart");
        metrics.launchRefused(session, null, Problem.UNKNOWN_TENANT);
        metrics.launchRefused(session, null, Problem.UNKNOWN_TENANT);
        metrics.launchSucceeded(session, "cerner-sandbox");

        assertThat(registry.get(SmartMetrics.LAUNCHES).tags("realm", "smart", "idp", "unknown", "outcome", "unknown_tenant").counter().count())
                .isEqualTo(2.0);
        assertThat(registry.get(SmartMetrics.LAUNCHES).tags("idp", "cerner-sandbox", "outcome", "success").counter().count()).isEqualTo(1.0);
    }

    @Test
    void an_upstream_call_is_timed_with_ok_or_the_kind_it_failed_with_and_its_failure_goes_on() throws UpstreamException {
        KeycloakSession session = sessionOfRealm("smart");
        assertThat(metrics.upstream(session, "cerner-sandbox", SmartMetrics.Upstream.TOKEN_CODE, () -> "body")).isEqualTo("body");
        assertThatThrownBy(() -> metrics.upstream(session, "cerner-sandbox", SmartMetrics.Upstream.TOKEN_CODE, () -> {
            throw new UpstreamException(UpstreamException.Kind.INVALID_CLIENT, "refused");
        })).isInstanceOf(UpstreamException.class).hasMessage("refused");
        assertThatThrownBy(() -> metrics.upstream(session, "cerner-sandbox", SmartMetrics.Upstream.JWKS, () -> {
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class);

        Timer ok = registry.get(SmartMetrics.UPSTREAM).tags("idp", "cerner-sandbox", "endpoint", "token-code", "outcome", "ok").timer();
        assertThat(ok.count()).isEqualTo(1);
        assertThat(registry.get(SmartMetrics.UPSTREAM).tags("endpoint", "token-code", "outcome", "invalid_client").timer().count())
                .isEqualTo(1);
        assertThat(registry.get(SmartMetrics.UPSTREAM).tags("endpoint", "jwks", "outcome", "error").timer().count()).isEqualTo(1);
    }

    @Test
    void token_calls_count_by_result_and_a_session_without_realm_is_tagged_unknown() {
        KeycloakSession noRealm = mock(KeycloakSession.class);
        when(noRealm.getContext()).thenReturn(mock(KeycloakContext.class));
        metrics.launchToken(noRealm, "cerner-sandbox", "cached");
        metrics.systemToken(null, null, "unknown_tenant");

        assertThat(registry.get(SmartMetrics.LAUNCH_TOKENS).tags("realm", "unknown", "idp", "cerner-sandbox", "result", "cached")
                .counter().count()).isEqualTo(1.0);
        assertThat(registry.get(SmartMetrics.SYSTEM_TOKENS).tags("realm", "unknown", "idp", "unknown", "result", "unknown_tenant")
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void with_metrics_off_nothing_is_registered_and_calls_still_run() throws UpstreamException {
        Config.Scope scope = mock(Config.Scope.class);
        Config.Scope root = mock(Config.Scope.class);
        when(scope.root()).thenReturn(root);
        when(root.getBoolean("metrics-enabled", false)).thenReturn(false);
        SmartMetrics off = SmartMetrics.from(scope);

        assertThat(off.enabled()).isFalse();
        assertThat(off).isSameAs(SmartMetrics.off());
        off.launchRefused(null, null, Problem.UNKNOWN_TENANT);
        assertThat(off.upstream(null, "x", SmartMetrics.Upstream.DISCOVERY, () -> 42)).isEqualTo(42);
        assertThat(SmartMetrics.from(null).enabled()).isFalse();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void with_metrics_on_the_meters_go_to_keycloak_s_global_registry() {
        Config.Scope scope = mock(Config.Scope.class);
        Config.Scope root = mock(Config.Scope.class);
        when(scope.root()).thenReturn(root);
        when(root.getBoolean("metrics-enabled", false)).thenReturn(true);
        SimpleMeterRegistry global = new SimpleMeterRegistry();
        io.micrometer.core.instrument.Metrics.addRegistry(global);
        try {
            SmartMetrics on = SmartMetrics.from(scope);
            assertThat(on.enabled()).isTrue();
            on.systemToken(null, "cerner-sandbox", "fetched");
            assertThat(global.getMeters()).extracting(Meter::getId).anySatisfy(id -> {
                assertThat(id.getName()).isEqualTo(SmartMetrics.SYSTEM_TOKENS);
                assertThat(id.getTag("result")).isEqualTo("fetched");
            });
        } finally {
            io.micrometer.core.instrument.Metrics.removeRegistry(global);
        }
    }

    @Test
    void the_node_s_meters_are_found_through_the_session_s_identity_provider_factories() {
        KeycloakSession session = mock(KeycloakSession.class);
        assertThat(SmartMetrics.of(session).enabled()).as("no session factory").isFalse();

        KeycloakSessionFactory factories = mock(KeycloakSessionFactory.class);
        ProviderFactory<?> other = mock(ProviderFactory.class);
        ProviderFactory<?> smart = mock(ProviderFactory.class, withSettings().extraInterfaces(SmartMetrics.Source.class));
        when(((SmartMetrics.Source) smart).metrics()).thenReturn(metrics);
        when(session.getKeycloakSessionFactory()).thenReturn(factories);
        when(factories.getProviderFactoriesStream(IdentityProvider.class)).thenAnswer(i -> Stream.of(other, smart));
        assertThat(SmartMetrics.of(session)).isSameAs(metrics);

        when(factories.getProviderFactoriesStream(IdentityProvider.class)).thenAnswer(i -> Stream.of(other));
        assertThat(SmartMetrics.of(session)).isSameAs(SmartMetrics.off());
    }
}
