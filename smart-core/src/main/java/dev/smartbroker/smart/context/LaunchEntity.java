package dev.smartbroker.smart.context;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.NamedQueries;
import jakarta.persistence.NamedQuery;
import jakarta.persistence.Table;

import org.keycloak.connections.jpa.AsynchronousCommitAllowed;

/**
 * One launch, as a row of its own ({@code SMART_LAUNCH}, created by {@code META-INF/smart-launch-changelog.xml}):
 * written once at the EHR callback, read by its id when tokens are issued, rewritten only when the EHR's tokens change.
 * The client session of the app keeps only a short marker note per launch, so that Keycloak, which rewrites the whole
 * client session at each of its writes, no longer rewrites every kept launch (docs/architecture.md §8.4).
 *
 * <p>{@code data} is the sealed {@link StoredLaunch}, bound by its associated data to realm, client and launch id, as
 * the note was. No column holds a patient, a token or anything else of the launch in plain text.
 *
 * <p>A launch is session data, and commits as Keycloak commits its sessions' rows ({@link AsynchronousCommitAllowed}):
 * on PostgreSQL, a transaction that writes only such rows does not wait for its write-ahead log to reach the disk.
 * What a database crash can then lose is the last moment's writes, as for the sessions: a launch staged in it fails
 * closed (no context); a refresh of its EHR tokens is lost and made again at the next call (where the EHR rotates
 * refresh tokens, the launch is then over). Without it, the EHR callback, the one request of a launch that writes a
 * row here, waited for the disk where a stock login does not (docs/architecture.md §8.4).
 */
@Entity
@Table(name = "SMART_LAUNCH")
@NamedQueries({
        @NamedQuery(name = LaunchEntity.DELETE_EXPIRED, query = "delete from LaunchEntity l where l.expires < :now"),
        @NamedQuery(name = LaunchEntity.DELETE_OF_REALM, query = "delete from LaunchEntity l where l.realmId = :realmId"),
        @NamedQuery(name = LaunchEntity.DELETE_OF_CLIENT, query = "delete from LaunchEntity l where l.realmId = :realmId and l.clientId = :clientId"),
})
public class LaunchEntity implements AsynchronousCommitAllowed {

    static final String DELETE_EXPIRED = "smartLaunch.deleteExpired";
    static final String DELETE_OF_REALM = "smartLaunch.deleteOfRealm";
    static final String DELETE_OF_CLIENT = "smartLaunch.deleteOfClient";

    @Id
    @Column(name = "ID", length = 64)
    private String id;

    @Column(name = "REALM_ID", length = 255, nullable = false)
    private String realmId;

    /** The client's internal id (not its client_id). */
    @Column(name = "CLIENT_ID", length = 255, nullable = false)
    private String clientId;

    /** Epoch seconds after which no session of Keycloak can still hold this launch; past it the row is deleted. */
    @Column(name = "EXPIRES", nullable = false)
    private long expires;

    /** Tokens of an offline session were issued for this launch: it lives as long as that session may. */
    @Column(name = "OFFLINE_FLAG", nullable = false)
    private boolean offline;

    @Column(name = "DATA", nullable = false)
    private String data;

    public LaunchEntity() {
    }

    public LaunchEntity(String id, String realmId, String clientId, long expires, String data) {
        this.id = id;
        this.realmId = realmId;
        this.clientId = clientId;
        this.expires = expires;
        this.data = data;
    }

    public String getId() {
        return id;
    }

    public String getRealmId() {
        return realmId;
    }

    public String getClientId() {
        return clientId;
    }

    long getExpires() {
        return expires;
    }

    void setExpires(long expires) {
        this.expires = expires;
    }

    public boolean isOffline() {
        return offline;
    }

    void setOffline(boolean offline) {
        this.offline = offline;
    }

    String getData() {
        return data;
    }

    void setData(String data) {
        this.data = data;
    }
}
