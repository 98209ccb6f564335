package dev.smartbroker.smart.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Map;
import java.util.stream.Stream;

import dev.smartbroker.smart.claims.SmartLaunchContextMapper;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.ProtocolMapperModel;

class LaunchableClientsTest {

    private static ProtocolMapperModel mapper(String type) {
        ProtocolMapperModel model = new ProtocolMapperModel();
        model.setProtocolMapper(type);
        return model;
    }

    private static ClientModel client(Stream<ProtocolMapperModel> own, Map<String, ClientScopeModel> defaults, Map<String, ClientScopeModel> optional) {
        ClientModel client = mock(ClientModel.class);
        when(client.getProtocolMappersStream()).thenReturn(own);
        when(client.getClientScopes(true)).thenReturn(defaults);
        when(client.getClientScopes(false)).thenReturn(optional);
        return client;
    }

    private static ClientScopeModel scope(ProtocolMapperModel... mappers) {
        ClientScopeModel scope = mock(ClientScopeModel.class);
        when(scope.getProtocolMappersStream()).thenAnswer(i -> Stream.of(mappers));
        return scope;
    }

    @Test
    void a_client_with_the_smart_launch_context_scope_is_launchable() {
        ClientModel client = client(Stream.empty(), Map.of("smart-launch-context", scope(mapper(SmartLaunchContextMapper.PROVIDER_ID))), Map.of());
        assertThat(LaunchableClients.isLaunchable(client)).isTrue();
    }

    @Test
    void an_optional_scope_or_a_mapper_on_the_client_counts_too() {
        assertThat(LaunchableClients.isLaunchable(client(Stream.empty(), Map.of(),
                Map.of("s", scope(mapper(SmartLaunchContextMapper.PROVIDER_ID)))))).isTrue();
        assertThat(LaunchableClients.isLaunchable(client(Stream.of(mapper(SmartLaunchContextMapper.PROVIDER_ID)), Map.of(), Map.of()))).isTrue();
    }

    @Test
    void a_client_without_launch_context_is_not() {
        ClientModel client = client(Stream.of(mapper("oidc-usermodel-attribute-mapper")),
                Map.of("profile", scope(mapper("oidc-full-name-mapper"))), Map.of());
        assertThat(LaunchableClients.isLaunchable(client)).isFalse();
    }
}
