package dev.smartbroker.smart.support;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jboss.logging.Logger;
import org.keycloak.Config;

/**
 * The server settings of one provider, read the way the README documents them: {@code --spi-<spi>--<provider>--<name>}
 * on the command line, {@code KC_SPI_<SPI>__<PROVIDER>__<NAME>} in the environment, {@code spi-<spi>--<provider>--<name>}
 * in {@code keycloak.conf}.
 *
 * <p>Keycloak hands a factory the scope of its SPI's internal name. For the identity-provider SPI that name is
 * {@code identity_provider}, and Keycloak 26.7 maps {@code --spi-identity-provider--…} (the spelling every other SPI
 * option uses, and the only one an environment variable can express) to a different property, so such a setting was
 * silently ignored. Both spellings are read here, the documented one first. A value that does not parse, or a name no
 * setting has, is reported once at start-up instead of being ignored.
 */
public final class SpiSettings {

    private static final Logger LOG = Logger.getLogger(SpiSettings.class);

    private final String prefix;
    private final List<Config.Scope> scopes;

    private SpiSettings(String prefix, List<Config.Scope> scopes) {
        this.prefix = prefix;
        this.scopes = scopes;
    }

    /**
     * @param given        the scope Keycloak passed to the factory's {@code init} (may be null in tests)
     * @param documentedSpi the SPI name as documented, e.g. {@code identity-provider}
     * @param known        every setting name this provider has
     */
    public static SpiSettings of(Config.Scope given, String documentedSpi, String provider, Set<String> known) {
        List<Config.Scope> scopes = new ArrayList<>();
        try {
            Config.Scope documented = Config.scope(documentedSpi, provider);
            if (documented != null) {
                scopes.add(documented);
            }
        } catch (RuntimeException e) {
            // No configuration provider (unit tests): only the given scope.
        }
        if (given != null) {
            scopes.add(given);
        }
        SpiSettings settings = new SpiSettings("spi-" + documentedSpi + "--" + provider + "--", scopes);
        settings.reportUnknown(known);
        return settings;
    }

    public String get(String name, String defaultValue) {
        for (Config.Scope scope : scopes) {
            String value;
            try {
                value = scope.get(name);
            } catch (RuntimeException e) {
                value = null;
            }
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return defaultValue;
    }

    public long getLong(String name, long defaultValue) {
        String value = get(name, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            LOG.warnf("Server setting %s%s=%s is not a number; using %d", prefix, name, SafeText.bounded(value), defaultValue);
            return defaultValue;
        }
    }

    public int getInt(String name, int defaultValue) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, getLong(name, defaultValue)));
    }

    private void reportUnknown(Set<String> known) {
        Set<String> seen = new HashSet<>();
        for (Config.Scope scope : scopes) {
            try {
                for (String name : scope.getPropertyNames()) {
                    // Some scopes list full property names (kc.spi-<spi>--<provider>--<name>): keep the setting's name.
                    seen.add(name.substring(name.lastIndexOf("--") + 1 > 0 ? name.lastIndexOf("--") + 2 : 0));
                }
            } catch (RuntimeException e) {
                // Scopes that cannot list their names are simply not checked.
            }
        }
        for (String name : seen) {
            if (!known.contains(name)) {
                LOG.warnf("Unknown server setting %s%s is ignored; known settings: %s", prefix, SafeText.bounded(name),
                        String.join(", ", known));
            }
        }
    }
}
