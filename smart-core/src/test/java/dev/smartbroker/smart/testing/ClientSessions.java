package dev.smartbroker.smart.testing;

import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Map;

import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

/** A mocked client session of {@code client} in {@code realm} whose notes live in {@code notes}, as Keycloak's would. */
public final class ClientSessions {

    private ClientSessions() {
    }

    public static AuthenticatedClientSessionModel withNotes(RealmModel realm, ClientModel client, Map<String, String> notes) {
        AuthenticatedClientSessionModel clientSession = mock(AuthenticatedClientSessionModel.class);
        when(clientSession.getRealm()).thenReturn(realm);
        when(clientSession.getClient()).thenReturn(client);
        when(clientSession.getNotes()).thenReturn(notes);
        when(clientSession.getNote(anyString())).thenAnswer(i -> notes.get(i.<String>getArgument(0)));
        doAnswer(i -> notes.put(i.getArgument(0), i.getArgument(1))).when(clientSession).setNote(anyString(), anyString());
        doAnswer(i -> notes.remove(i.<String>getArgument(0))).when(clientSession).removeNote(anyString());
        return clientSession;
    }
}
