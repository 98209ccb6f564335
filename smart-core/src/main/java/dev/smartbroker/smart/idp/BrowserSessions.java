package dev.smartbroker.smart.idp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationProcessor;
import org.keycloak.events.Details;
import org.keycloak.events.EventBuilder;
import org.keycloak.events.EventType;
import org.keycloak.locale.LocaleSelectorProvider;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.managers.AuthenticationSessionManager;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

/**
 * One Keycloak session per browser belongs to one clinician of one tenant; an EHR launch says who is at the keyboard.
 *
 * <p>On a shared ward workstation the EHR user changes while the browser keeps the previous clinician's Keycloak
 * session; a launch from a second tenant meets the first tenant's user. Keycloak itself would finish such a login in
 * the browser's existing session and refuse it ("already authenticated as different user"), because the login's
 * root authentication session carries that session's id. So, once the launch's clinician is known and before
 * Keycloak attaches a session:
 * <ul>
 *   <li>every session of this browser that belongs to another user is ended the way a logout ends it (apps'
 *       back-channel logout, the identity provider's logout, which revokes the launches' upstream refresh tokens)
 *       and recorded as a {@code LOGOUT} event with the reason;</li>
 *   <li>the login moves to a root authentication session that names no one else's session: a fresh one, or the
 *       clinician's own existing session in this browser when there is one (concurrent launches after a switch keep
 *       sharing one session instead of replacing each other).</li>
 * </ul>
 * The previous clinician's other tabs then hold tokens of an ended session: refreshes, userinfo and the launch-token
 * API refuse them. They never continue as that clinician, and never become the new one.
 */
final class BrowserSessions {

    private static final Logger LOG = Logger.getLogger(BrowserSessions.class);
    static final String REASON_REPLACED = "the browser's session was replaced by an EHR launch of another clinician or tenant";
    /** Authentication notes Keycloak reads after the identity provider's callback, carried into the moved login. */
    private static final List<String> CARRIED_AUTH_NOTES = List.of(Details.AUTH_TYPE, Constants.AUTHORIZATION_REQUEST_URI,
            AuthenticationProcessor.CURRENT_FLOW_PATH, AuthenticationProcessor.FORWARDED_PASSIVE_LOGIN,
            LocaleSelectorProvider.USER_REQUEST_LOCALE, AuthenticationManager.END_AFTER_REQUIRED_ACTIONS,
            AuthenticationManager.SET_REDIRECT_URI_AFTER_REQUIRED_ACTIONS, Details.REMEMBER_ME);

    private BrowserSessions() {
    }

    /**
     * Hands this browser over to {@code clinician}.
     *
     * @param event the login's event builder; each ended session is recorded from a clone of it
     * @return the authentication session the login continues in: {@code authSession} itself, or its copy
     */
    static AuthenticationSessionModel handOver(KeycloakSession session, AuthenticationSessionModel authSession, UserModel clinician,
                                               EventBuilder event) {
        RealmModel realm = authSession.getRealm();
        String rootId = authSession.getParentSession().getId();
        UserSessionModel rootSession = session.sessions().getUserSession(realm, rootId);
        AuthenticationManager.AuthResult cookie = AuthenticationManager.authenticateIdentityCookie(session, realm, false);
        UserSessionModel cookieSession = cookie == null ? null : cookie.session();

        Map<String, UserSessionModel> foreign = new LinkedHashMap<>();
        for (UserSessionModel candidate : new UserSessionModel[]{rootSession, cookieSession}) {
            if (candidate != null && !isOf(candidate, clinician)) {
                foreign.put(candidate.getId(), candidate);
            }
        }
        AuthenticationSessionModel target = authSession;
        if (rootSession != null && !isOf(rootSession, clinician)) {
            // The login would land in someone else's session: move it out first (also keeps the logout below from
            // treating this login's root as its own logout session).
            String own = cookieSession != null && isOf(cookieSession, clinician) ? cookieSession.getId() : null;
            target = moveTo(session, authSession, own);
        } else if (rootSession == null && cookieSession != null && isOf(cookieSession, clinician) && !cookieSession.getId().equals(rootId)) {
            // A second launch of the new clinician that started before the first one finished: join its session
            // rather than replace it (Keycloak keeps one session per browser and would end the other one).
            target = moveTo(session, authSession, cookieSession.getId());
        }
        for (UserSessionModel other : foreign.values()) {
            end(session, realm, other, event);
        }
        return target;
    }

    private static boolean isOf(UserSessionModel userSession, UserModel clinician) {
        return userSession.getUser() != null && userSession.getUser().getId().equals(clinician.getId());
    }

    /** Ends a session as a logout does, and records why. */
    private static void end(KeycloakSession session, RealmModel realm, UserSessionModel userSession, EventBuilder event) {
        EventBuilder logout = event.clone().event(EventType.LOGOUT).session(userSession)
                .detail(Details.REASON, REASON_REPLACED);
        if (userSession.getUser() != null) {
            logout.user(userSession.getUser());
        }
        String brokeredBy = userSession.getNote(Details.IDENTITY_PROVIDER);
        logout.detail(Details.IDENTITY_PROVIDER, brokeredBy);
        LOG.debugf("Ending session %s of realm %s: a launch of another clinician or tenant took over the browser",
                userSession.getId(), realm.getName());
        AuthenticationManager.backchannelLogout(session, realm, userSession, session.getContext().getUri(),
                session.getContext().getConnection(), session.getContext().getRequestHeaders(), true);
        logout.success();
    }

    /**
     * A copy of {@code from} in another root authentication session ({@code rootId}, or a fresh one when null), with
     * the browser's authentication-session cookie pointing at it; {@code from} is removed from its root.
     */
    private static AuthenticationSessionModel moveTo(KeycloakSession session, AuthenticationSessionModel from, String rootId) {
        RealmModel realm = from.getRealm();
        AuthenticationSessionManager manager = new AuthenticationSessionManager(session);
        RootAuthenticationSessionModel root;
        if (rootId == null) {
            root = manager.createAuthenticationSession(realm, true);
        } else {
            root = session.authenticationSessions().getRootAuthenticationSession(realm, rootId);
            if (root == null) {
                root = session.authenticationSessions().createRootAuthenticationSession(realm, rootId);
            }
            manager.setAuthSessionCookie(rootId);
            manager.setAuthSessionIdHashCookie(rootId);
        }
        AuthenticationSessionModel to = root.createAuthenticationSession(from.getClient());
        to.setRedirectUri(from.getRedirectUri());
        to.setProtocol(from.getProtocol());
        to.setAction(from.getAction());
        to.setClientScopes(from.getClientScopes());
        from.getClientNotes().forEach(to::setClientNote);
        from.getUserSessionNotes().forEach(to::setUserSessionNote);
        from.getRequiredActions().forEach(to::addRequiredAction);
        for (String note : CARRIED_AUTH_NOTES) {
            String value = from.getAuthNote(note);
            if (value != null) {
                to.setAuthNote(note, value);
            }
        }
        RootAuthenticationSessionModel previous = from.getParentSession();
        previous.removeAuthenticationSessionByTabId(from.getTabId());
        if (previous.getAuthenticationSessions().isEmpty()) {
            session.authenticationSessions().removeRootAuthenticationSession(realm, previous);
        }
        session.getContext().setAuthenticationSession(to);
        LOG.tracef("Login of client %s moved from root session %s to %s", from.getClient().getClientId(), previous.getId(), root.getId());
        return to;
    }
}
