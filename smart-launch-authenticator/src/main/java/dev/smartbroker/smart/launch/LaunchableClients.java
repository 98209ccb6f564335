package dev.smartbroker.smart.launch;

import java.util.stream.Stream;

import dev.smartbroker.smart.claims.SmartLaunchContextMapper;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ProtocolMapperModel;

/**
 * A client may be launched when it would receive SMART launch context: it has a SMART launch-context mapper
 * itself or through one of its assigned (default or optional) client scopes. Admins switch this on in the admin
 * console by assigning the realm's {@code smart-launch-context} client scope.
 */
final class LaunchableClients {

    private LaunchableClients() {
    }

    static boolean isLaunchable(ClientModel client) {
        // Cheapest first, each looked at only when the one before has no such mapper.
        return hasContextMapper(client.getProtocolMappersStream())
                || client.getClientScopes(true).values().stream().anyMatch(scope -> hasContextMapper(scope.getProtocolMappersStream()))
                || client.getClientScopes(false).values().stream().anyMatch(scope -> hasContextMapper(scope.getProtocolMappersStream()));
    }

    private static boolean hasContextMapper(Stream<ProtocolMapperModel> mappers) {
        return mappers.anyMatch(m -> SmartLaunchContextMapper.PROVIDER_ID.equals(m.getProtocolMapper()));
    }
}
