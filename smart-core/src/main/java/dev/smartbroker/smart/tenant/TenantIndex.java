package dev.smartbroker.smart.tenant;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import dev.smartbroker.smart.SmartProfile;
import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.executors.ExecutorsProvider;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.KeycloakTransaction;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ProviderEvent;

/**
 * A per-node index of each realm's identity providers, so that a launch costs the same with 1,000 tenants as with 3:
 * Keycloak's identity-provider cache caches lookups by alias and the count, but not the list of all providers, which
 * goes to the database and would be parsed whole on every Launch URI hit.
 *
 * <p>The index only names <em>candidates</em>: {@link Tenants} re-reads each one by alias (cached by Keycloak and
 * invalidated cluster-wide) and checks it again, so a stale index can miss a tenant but never hand a launch to one
 * whose stored configuration no longer matches. A lookup that finds no candidate (an attacker's {@code iss}) costs
 * no scan. A realm's entry is rebuilt with one scan when
 * <ul>
 * <li>the realm's provider count (cached by Keycloak, invalidated cluster-wide on create and remove) differs from the
 * count it was built at: creation and removal are seen at once on every node;</li>
 * <li>this node updated or removed one of the realm's providers ({@link #changed}), before and again after the
 * change commits, since Keycloak publishes the event inside the transaction;</li>
 * <li>it is older than {@link #maxAgeMillis()}: a tenant whose FHIR base or alias was changed on another node is
 * found under its new value within that time.</li>
 * </ul>
 * One thread per realm rebuilds. An entry known to be out of date is rebuilt by the request that notices, the others
 * waiting for it (at most {@link #WAIT_MILLIS}, then using the previous entry); an entry that only grew old keeps being
 * used while a background job rebuilds it. Held by a provider factory, one per node.
 */
public final class TenantIndex {

    /** How long an entry is trusted without a sign of change: the staleness bound for updates made on other nodes. */
    public static final long DEFAULT_MAX_AGE_MILLIS = 30_000;
    static final long WAIT_MILLIS = 2_000;

    private static final Logger LOG = Logger.getLogger(TenantIndex.class);

    /** The Keycloak executor the background rebuilds run on. */
    static final String EXECUTOR = "smart-tenant-index";

    private final long maxAgeMillis;
    private final Background background;
    private final ConcurrentMap<String, RealmEntry> realms = new ConcurrentHashMap<>();

    public TenantIndex() {
        this(DEFAULT_MAX_AGE_MILLIS, Background.KEYCLOAK);
    }

    public TenantIndex(long maxAgeMillis, Background background) {
        this.maxAgeMillis = maxAgeMillis;
        this.background = background;
    }

    /** The staleness bound for changes made on other nodes that keep the provider count. */
    public long maxAgeMillis() {
        return maxAgeMillis;
    }

    /** Holds the node's index: a provider factory, so that each node (and each test server) has its own. */
    public interface Holder {
        TenantIndex tenantIndex();
    }

    /**
     * What one scan of a realm's identity providers found. {@code byBase}: aliases of the SMART tenants by their stored
     * FHIR base; {@code forwarded}: the non-SMART providers, enabled or not, that forward query parameters upstream,
     * with those parameters; {@code profiles}: the profiles of the realm's SMART tenants. Aliases are candidates only.
     */
    record Snapshot(long count, long generation, long builtAt, Map<FhirBaseUrl, List<String>> byBase,
                    Map<String, Set<String>> forwarded, Set<SmartProfile> profiles) {

        List<String> candidates(FhirBaseUrl base) {
            return byBase.getOrDefault(base, List.of());
        }
    }

    private static final class RealmEntry {
        final AtomicLong generation = new AtomicLong();
        final ReentrantLock rebuild = new ReentrantLock();
        /** When the running background rebuild was started (Keycloak's clock), 0 when none runs. */
        final AtomicLong refreshingSince = new AtomicLong();
        volatile Snapshot snapshot;
    }

    /**
     * Handles Keycloak's provider events: an identity provider of a realm was updated or removed on this node, or a
     * realm was removed. Register it with {@code KeycloakSessionFactory.register} in the holder's {@code postInit}.
     */
    public void onEvent(ProviderEvent event) {
        if (event instanceof RealmModel.IdentityProviderUpdatedEvent updated) {
            changed(updated.getRealm(), updated.getKeycloakSession());
        } else if (event instanceof RealmModel.IdentityProviderRemovedEvent removed) {
            changed(removed.getRealm(), removed.getKeycloakSession());
        } else if (event instanceof RealmModel.RealmRemovedEvent removed && removed.getRealm() != null) {
            realms.remove(removed.getRealm().getId());
        }
    }

    /**
     * Marks the realm's entry out of date now and once more when {@code session}'s transaction ends: Keycloak publishes
     * the event before the change commits, so a rebuild in between would still read the old state.
     */
    void changed(RealmModel realm, KeycloakSession session) {
        if (realm == null) {
            return;
        }
        RealmEntry entry = realms.computeIfAbsent(realm.getId(), id -> new RealmEntry());
        entry.generation.incrementAndGet();
        if (session != null && session.getTransactionManager() != null) {
            session.getTransactionManager().enlistAfterCompletion(new AfterCompletion(entry.generation));
        }
    }

    Snapshot snapshot(KeycloakSession session, RealmModel realm) {
        RealmEntry entry = realms.computeIfAbsent(realm.getId(), id -> new RealmEntry());
        long count = session.identityProviders().count();
        Snapshot current = entry.snapshot;
        if (current != null && fresh(current, entry, count)) {
            if (expired(current)) {
                refreshInBackground(session, realm.getId(), entry);
                // The rebuilt entry when the job could only run here and now; else still the old one.
                return entry.snapshot;
            }
            return current;
        }
        // Known to be out of date (or never built): wait for one rebuild rather than miss a tenant just created here.
        boolean locked;
        try {
            locked = entry.rebuild.tryLock(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            // Still rebuilding elsewhere: an old entry is still a list of candidates that are checked again.
            Snapshot other = entry.snapshot;
            return other != null ? other : scan(session, count, entry.generation.get());
        }
        try {
            Snapshot latest = entry.snapshot;
            if (latest != null && fresh(latest, entry, count)) {
                return latest;
            }
            Snapshot built = scan(session, count, entry.generation.get());
            entry.snapshot = built;
            return built;
        } finally {
            entry.rebuild.unlock();
        }
    }

    /**
     * An entry that only grew old is still used while one job rebuilds it away from the request: at 1,000 tenants a
     * scan takes seconds, which no launch should wait for every {@link #maxAgeMillis()}.
     */
    private void refreshInBackground(KeycloakSession session, String realmId, RealmEntry entry) {
        // One job at a time; a job that never ran (its session could not start) stops blocking after maxAgeMillis.
        long now = Time.currentTimeMillis();
        long since = entry.refreshingSince.get();
        if ((since != 0 && now >= since && now - since < maxAgeMillis) || !entry.refreshingSince.compareAndSet(since, now)) {
            return;
        }
        Consumer<KeycloakSession> job = fresh -> {
            try {
                if (!entry.rebuild.tryLock()) {
                    return;
                }
                try {
                    long count = fresh.identityProviders().count();
                    entry.snapshot = scan(fresh, count, entry.generation.get());
                } finally {
                    entry.rebuild.unlock();
                }
            } finally {
                entry.refreshingSince.set(0);
            }
        };
        try {
            background.run(session, realmId, job);
        } catch (RuntimeException e) {
            // No executor (shutting down, or none deployed): the age bound still holds, at this request's expense.
            LOG.debugf(e, "Could not start a background rebuild of the tenant index; rebuilding it now");
            job.accept(session);
        }
    }

    /** Runs a job with a session of its own on the realm, off the calling thread. */
    @FunctionalInterface
    public interface Background {
        void run(KeycloakSession caller, String realmId, Consumer<KeycloakSession> job);

        /** On Keycloak's executor, in a transaction of its own. */
        Background KEYCLOAK = (caller, realmId, job) -> {
            KeycloakSessionFactory factory = caller.getKeycloakSessionFactory();
            ExecutorService executor = caller.getProvider(ExecutorsProvider.class).getExecutor(EXECUTOR);
            executor.execute(() -> KeycloakModelUtils.runJobInTransaction(factory, own -> {
                RealmModel realm = own.realms().getRealm(realmId);
                if (realm != null) {
                    own.getContext().setRealm(realm);
                    job.accept(own);
                }
            }));
        };
    }

    private static boolean fresh(Snapshot snapshot, RealmEntry entry, long count) {
        return snapshot.count() == count && snapshot.generation() == entry.generation.get();
    }

    private boolean expired(Snapshot snapshot) {
        long age = Time.currentTimeMillis() - snapshot.builtAt();
        // A clock set back (tests shift Keycloak's) counts as expired rather than as young.
        return age < 0 || age >= maxAgeMillis;
    }

    /** One full scan of the session's realm, kept nowhere: for a session without a realm or a server without a holder. */
    static Snapshot scan(KeycloakSession session) {
        return scan(session, -1, -1);
    }

    /** One full scan of the session's realm. {@code generation} is read before the scan, so a change during it counts. */
    private static Snapshot scan(KeycloakSession session, long count, long generation) {
        long start = System.nanoTime();
        Map<String, SmartTenantType> types = Tenants.types(session);
        Map<FhirBaseUrl, List<String>> byBase = new HashMap<>();
        Map<String, Set<String>> forwarded = new HashMap<>();
        Set<SmartProfile> profiles = new HashSet<>();
        long builtAt = Time.currentTimeMillis();
        session.identityProviders().getAllStream().forEach(model -> {
            SmartTenantType type = types.get(model.getProviderId());
            if (type == null) {
                Set<String> parameters = forwardedParameters(model);
                if (!parameters.isEmpty()) {
                    forwarded.put(model.getAlias(), parameters);
                }
                return;
            }
            SmartTenantConfig config = type.config(model);
            if (config.profile() != null) {
                profiles.add(config.profile());
            }
            config.fhirBaseUrl().ifPresent(base -> byBase.computeIfAbsent(base, b -> new ArrayList<>()).add(model.getAlias()));
        });
        Map<FhirBaseUrl, List<String>> frozen = byBase.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
        LOG.debugf("Indexed the identity providers of a realm (%d FHIR bases) in %d ms", frozen.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return new Snapshot(count, generation, builtAt, frozen, Map.copyOf(forwarded), Set.copyOf(profiles));
    }

    /** Keycloak's "Forwarded query parameters" of a provider, trimmed. */
    static Set<String> forwardedParameters(IdentityProviderModel model) {
        String forwarded = model.getConfig() == null ? null : model.getConfig().get("forwardParameters");
        if (forwarded == null || forwarded.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(forwarded.split(",")).map(String::trim).filter(p -> !p.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /** Bumps the realm's generation once the transaction that changed a provider has ended, whatever its outcome. */
    private static final class AfterCompletion implements KeycloakTransaction {

        private final AtomicLong generation;
        private boolean active;

        AfterCompletion(AtomicLong generation) {
            this.generation = generation;
        }

        @Override
        public void begin() {
            active = true;
        }

        @Override
        public void commit() {
            end();
        }

        @Override
        public void rollback() {
            end();
        }

        private void end() {
            active = false;
            generation.incrementAndGet();
        }

        @Override
        public void setRollbackOnly() {
        }

        @Override
        public boolean getRollbackOnly() {
            return false;
        }

        @Override
        public boolean isActive() {
            return active;
        }
    }
}
