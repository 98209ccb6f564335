package dev.smartbroker.smart.context;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.smartbroker.smart.support.SpiSettings;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.common.util.Time;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProvider;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProviderFactory;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.timer.ScheduledTask;
import org.keycloak.timer.TimerProvider;

/**
 * Adds the {@code SMART_LAUNCH} table ({@link LaunchEntity}) to Keycloak's database: Keycloak creates it with the
 * Liquibase change log named here when it starts, as it does its own tables. Rows past their expiry are deleted every
 * {@code cleanup-interval-seconds} (900 by default: {@code --spi-jpa-entity-provider--smart-launches--cleanup-interval-seconds},
 * or {@code KC_SPI_JPA_ENTITY_PROVIDER__SMART_LAUNCHES__CLEANUP_INTERVAL_SECONDS}) on every node; the delete is one
 * indexed statement, and two nodes running it at once delete the same rows. Removing a realm or a client removes its
 * launches in the same transaction.
 */
public final class LaunchTableProviderFactory implements JpaEntityProviderFactory, ServerInfoAwareProviderFactory {

    public static final String ID = "smart-launches";
    static final String CHANGELOG = "META-INF/smart-launch-changelog.xml";
    static final long DEFAULT_CLEANUP_INTERVAL_SECONDS = 900;
    static final String TASK_NAME = "smart-launch-expiry";
    private static final Logger LOG = Logger.getLogger(LaunchTableProviderFactory.class);

    private long cleanupIntervalSeconds = DEFAULT_CLEANUP_INTERVAL_SECONDS;

    @Override
    public JpaEntityProvider create(KeycloakSession session) {
        return new JpaEntityProvider() {
            @Override
            public List<Class<?>> getEntities() {
                return List.of(LaunchEntity.class);
            }

            @Override
            public String getChangelogLocation() {
                return CHANGELOG;
            }

            @Override
            public String getFactoryId() {
                return ID;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void init(Config.Scope config) {
        SpiSettings settings = SpiSettings.of(config, "jpa-entity-provider", ID, Set.of("cleanup-interval-seconds"));
        cleanupIntervalSeconds = Math.max(1, settings.getLong("cleanup-interval-seconds", DEFAULT_CLEANUP_INTERVAL_SECONDS));
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        factory.register(this::onEvent);
        KeycloakModelUtils.runJobInTransaction(factory, session -> {
            TimerProvider timer = session.getProvider(TimerProvider.class);
            if (timer != null) {
                timer.scheduleTask(new Expiry(), cleanupIntervalSeconds * 1000L, TASK_NAME);
            }
        });
    }

    private void onEvent(ProviderEvent event) {
        if (event instanceof RealmModel.RealmRemovedEvent removed && removed.getRealm() != null) {
            int rows = LaunchRows.of(removed.getKeycloakSession()).deleteOfRealm(removed.getRealm().getId());
            LOG.debugf("Realm %s removed: %d launches deleted", removed.getRealm().getName(), rows);
        } else if (event instanceof ClientModel.ClientRemovedEvent removed && removed.getClient() != null) {
            ClientModel client = removed.getClient();
            int rows = LaunchRows.of(removed.getKeycloakSession()).deleteOfClient(client.getRealm().getId(), client.getId());
            LOG.debugf("Client %s removed: %d launches deleted", client.getClientId(), rows);
        }
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("cleanup-interval-seconds", String.valueOf(cleanupIntervalSeconds));
    }

    /** Deletes the launches no session can hold any more. */
    static final class Expiry implements ScheduledTask {

        @Override
        public void run(KeycloakSession session) {
            int rows = LaunchRows.of(session).deleteExpired(Time.currentTime());
            if (rows > 0) {
                LOG.debugf("Deleted %d expired launches", rows);
            }
        }

        @Override
        public String getTaskName() {
            return TASK_NAME;
        }
    }
}
