package dev.smartbroker.smart.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.smartbroker.smart.http.UpstreamException;
import dev.smartbroker.smart.support.SafeText;
import dev.smartbroker.smart.tenant.SmartTenantConfig;
import dev.smartbroker.smart.tenant.SmartTenantType;
import org.junit.jupiter.api.Test;
import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.events.Details;
import org.keycloak.events.Event;
import org.keycloak.events.EventBuilder;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.IdentityProviderStorageProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderFactory;

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

    @Test
    void a_refused_launch_is_tagged_with_the_event_s_tenant_only_when_it_is_a_smart_tenant_of_the_realm() {
        KeycloakSession session = mock(KeycloakSession.class);
        KeycloakSessionFactory factories = mock(KeycloakSessionFactory.class);
        IdentityProviderStorageProvider providers = mock(IdentityProviderStorageProvider.class);
        ProviderFactory<?> cerner = mock(ProviderFactory.class, withSettings().extraInterfaces(SmartTenantType.class));
        IdentityProviderModel sandbox = new IdentityProviderModel();
        sandbox.setAlias("cerner-sandbox");
        sandbox.setProviderId("cerner");
        IdentityProviderModel other = new IdentityProviderModel();
        other.setAlias("google");
        other.setProviderId("google");
        when(cerner.getId()).thenReturn("cerner");
        when(((SmartTenantType) cerner).config(sandbox)).thenReturn(mock(SmartTenantConfig.class));
        when(session.getKeycloakSessionFactory()).thenReturn(factories);
        when(factories.getProviderFactoriesStream(IdentityProvider.class)).thenAnswer(i -> Stream.of(cerner));
        when(session.identityProviders()).thenReturn(providers);
        when(providers.getByAlias("cerner-sandbox")).thenReturn(sandbox);
        when(providers.getByAlias("google")).thenReturn(other);

        assertThat(LaunchErrors.tenantAlias(session, eventNaming("cerner-sandbox"))).isEqualTo("cerner-sandbox");
        assertThat(LaunchErrors.tenantAlias(session, eventNaming("google"))).as("another provider").isNull();
        assertThat(LaunchErrors.tenantAlias(session, eventNaming("https://attacker.example/r4"))).as("text from a request").isNull();
        assertThat(LaunchErrors.tenantAlias(session, eventNaming(null))).isNull();
        assertThat(LaunchErrors.tenantAlias(session, null)).isNull();
    }

    private static EventBuilder eventNaming(String alias) {
        Event event = new Event();
        Map<String, String> details = new HashMap<>();
        if (alias != null) {
            details.put(Details.IDENTITY_PROVIDER, alias);
        }
        event.setDetails(details);
        EventBuilder builder = mock(EventBuilder.class);
        when(builder.getEvent()).thenReturn(event);
        return builder;
    }
}
