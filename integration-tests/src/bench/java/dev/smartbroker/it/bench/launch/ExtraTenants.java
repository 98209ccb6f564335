package dev.smartbroker.it.bench.launch;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.TenantCopies;

/**
 * Extra Cerner tenants, so that tenant resolution (the Launch URI's {@code iss} lookup and the launch step) has many
 * identity providers beside the launched one. They are inert copies of the demo's sandbox tenant written into the
 * database ({@link TenantCopies}: registering 1,000 through the admin API takes minutes, since each save checks the
 * tenant against all others), each with a FHIR base of its own on the simulator, {@code {simulator}/r4/bench-tenant-NNN},
 * which the simulator does not serve and nothing ever calls; they are removed again on close.
 */
final class ExtraTenants implements AutoCloseable {

    static final String PREFIX = "bench-tenant-";

    private final Environment env;
    private final List<String> aliases;
    private final Duration registration;

    private ExtraTenants(Environment env, List<String> aliases, Duration registration) {
        this.env = env;
        this.aliases = aliases;
        this.registration = registration;
    }

    static ExtraTenants register(Environment env, int count) {
        List<String> aliases = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            aliases.add(String.format(Locale.ROOT, "%s%04d", PREFIX, i));
        }
        long start = System.nanoTime();
        try {
            TenantCopies.insert(env, Environment.SANDBOX_IDP, aliases, alias -> env.simulator().baseUrl() + "/r4/" + alias);
        } catch (SQLException e) {
            throw new IllegalStateException("could not write " + count + " extra tenants", e);
        }
        return new ExtraTenants(env, aliases, Duration.ofNanos(System.nanoTime() - start));
    }

    Duration registrationTime() {
        return registration;
    }

    int size() {
        return aliases.size();
    }

    @Override
    public void close() {
        try {
            TenantCopies.remove(env, aliases);
        } catch (SQLException e) {
            throw new IllegalStateException("could not remove the extra tenants", e);
        }
    }
}
