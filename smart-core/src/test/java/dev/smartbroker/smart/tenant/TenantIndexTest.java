package dev.smartbroker.smart.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.smartbroker.smart.SmartProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.keycloak.broker.provider.IdentityProvider;
import org.keycloak.common.util.Time;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.IdentityProviderStorageProvider;
import org.keycloak.models.KeycloakContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.KeycloakTransaction;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.resource.RealmResourceProvider;

/** The per-node tenant index through {@link Tenants}: what it scans, when it rebuilds, and that it only names candidates. */
class TenantIndexTest {

    private static final String TYPE = "smart-test";
    private static final String BASE_A = "https://fhir.example.org/r4/a";
    private static final String BASE_B = "https://fhir.example.org/r4/b";

    private final Map<String, IdentityProviderModel> stored = new LinkedHashMap<>();
    private final List<KeycloakTransaction> afterCompletion = new ArrayList<>();
    /** Background jobs, run by the test when it wants (null: at once, on the caller's session). */
    private List<Runnable> deferred;
    private final TenantIndex index = new TenantIndex(30_000, (caller, realmId, job) -> {
        if (deferred == null) {
            job.accept(caller);
        } else {
            deferred.add(() -> job.accept(caller));
        }
    });
    private final SmartProfile profile = mock(SmartProfile.class);
    private final IdentityProviderStorageProvider providers = mock(IdentityProviderStorageProvider.class);
    private final RealmModel realm = mock(RealmModel.class);
    private KeycloakSession session;

    @BeforeEach
    void server() {
        session = mock(KeycloakSession.class);
        KeycloakSessionFactory factories = mock(KeycloakSessionFactory.class);
        KeycloakContext context = mock(KeycloakContext.class);
        ProviderFactory<?> type = mock(ProviderFactory.class, withSettings().extraInterfaces(SmartTenantType.class));
        ProviderFactory<?> holder = mock(ProviderFactory.class, withSettings().extraInterfaces(TenantIndex.Holder.class));
        KeycloakTransactionManager transactions = mock(KeycloakTransactionManager.class);
        when(type.getId()).thenReturn(TYPE);
        when(((SmartTenantType) type).config(any())).thenAnswer(i -> new SmartTenantConfig(i.getArgument(0), profile));
        when(((TenantIndex.Holder) holder).tenantIndex()).thenReturn(index);
        when(session.getKeycloakSessionFactory()).thenReturn(factories);
        when(factories.getProviderFactoriesStream(IdentityProvider.class)).thenAnswer(i -> Stream.of(type));
        when(factories.getProviderFactoriesStream(RealmResourceProvider.class)).thenAnswer(i -> Stream.of(holder));
        when(session.getContext()).thenReturn(context);
        when(context.getRealm()).thenReturn(realm);
        when(realm.getId()).thenReturn("realm-1");
        when(session.identityProviders()).thenReturn(providers);
        when(providers.count()).thenAnswer(i -> (long) stored.size());
        when(providers.getAllStream()).thenAnswer(i -> stored.values().stream().map(IdentityProviderModel::new));
        when(providers.getByAlias(anyString())).thenAnswer(i -> {
            IdentityProviderModel model = stored.get(i.<String>getArgument(0));
            return model == null ? null : new IdentityProviderModel(model);
        });
        when(session.getTransactionManager()).thenReturn(transactions);
        doAnswer(i -> afterCompletion.add(i.getArgument(0))).when(transactions).enlistAfterCompletion(any());

        tenant("tenant-a", BASE_A, true, "");
        tenant("tenant-b", BASE_B, true, "");
        other("google", "");
    }

    @AfterEach
    void clock() {
        Time.setOffset(0);
    }

    private IdentityProviderModel tenant(String alias, String base, boolean enabled, String launchApps) {
        IdentityProviderModel model = model(alias, TYPE, enabled);
        model.getConfig().put(SmartTenantConfig.FHIR_BASE_URL, base);
        model.getConfig().put(SmartTenantConfig.LAUNCH_APPS, launchApps);
        return model;
    }

    private IdentityProviderModel other(String alias, String forwardParameters) {
        IdentityProviderModel model = model(alias, "oidc", true);
        model.getConfig().put("forwardParameters", forwardParameters);
        return model;
    }

    private IdentityProviderModel model(String alias, String providerId, boolean enabled) {
        IdentityProviderModel model = new IdentityProviderModel();
        model.setAlias(alias);
        model.setInternalId("id-" + alias);
        model.setProviderId(providerId);
        model.setEnabled(enabled);
        model.setConfig(new HashMap<>());
        stored.put(alias, model);
        return model;
    }

    private String resolved(String iss, String clientId) {
        return Tenants.resolve(session, iss, clientId).tenant().map(Tenants.Tenant::alias).orElse(null);
    }

    private void scans(int times) {
        verify(providers, times(times)).getAllStream();
    }

    private void updatedHere(IdentityProviderModel model) {
        RealmModel.IdentityProviderUpdatedEvent event = mock(RealmModel.IdentityProviderUpdatedEvent.class);
        when(event.getRealm()).thenReturn(realm);
        when(event.getKeycloakSession()).thenReturn(session);
        when(event.getUpdatedIdentityProvider()).thenReturn(model);
        index.onEvent(event);
    }

    @Nested
    class Launches {

        @Test
        void resolve_scans_once_and_then_reads_only_the_candidates_by_alias() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            assertThat(resolved(BASE_B + "/", "app")).isEqualTo("tenant-b");
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");

            scans(1);
            verify(providers, times(2)).getByAlias("tenant-a");
        }

        @Test
        void an_unknown_iss_never_causes_a_scan() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            for (int i = 0; i < 50; i++) {
                assertThat(Tenants.resolve(session, "https://attacker.example/r4/" + i, "app")).isEqualTo(Tenants.Resolution.NONE);
            }

            scans(1);
        }

        @Test
        void a_candidate_whose_stored_base_moved_away_is_not_chosen_even_by_a_stale_index() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            // Changed on another node: same count, no local event, the index still lists tenant-a under BASE_A.
            stored.get("tenant-a").getConfig().put(SmartTenantConfig.FHIR_BASE_URL, "https://fhir.example.org/r4/moved");

            assertThat(resolved(BASE_A, "app")).isNull();
            scans(1);
        }

        @Test
        void a_candidate_disabled_or_removed_elsewhere_is_checked_again() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            stored.get("tenant-a").setEnabled(false);
            assertThat(Tenants.resolve(session, BASE_A, "app").tenant().orElseThrow().enabled()).isFalse();

            stored.remove("tenant-b");
            tenant("tenant-c", "https://fhir.example.org/r4/c", true, "");
            // Count unchanged and no event here: tenant-b is gone at once, tenant-c waits for the index's age.
            assertThat(resolved(BASE_B, "app")).isNull();
            scans(1);
        }

        @Test
        void the_selection_rules_are_applied_to_the_rechecked_candidates() {
            tenant("tenant-a-app", BASE_A, true, "app");
            tenant("tenant-a-twin", BASE_A, true, "other-app");
            tenant("tenant-b-twin", BASE_B, true, "");

            assertThat(resolved(BASE_A, "app")).as("the tenant that lists the app").isEqualTo("tenant-a-app");
            assertThat(resolved(BASE_A, "third-app")).as("the tenant that lists no apps").isEqualTo("tenant-a");
            assertThat(Tenants.resolve(session, BASE_B, "app").conflicting()).containsExactly("tenant-b", "tenant-b-twin");
            scans(1);
        }
    }

    @Nested
    class Rebuilds {

        @Test
        void when_the_provider_count_changes() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            tenant("tenant-c", "https://fhir.example.org/r4/c", true, "");

            assertThat(resolved("https://fhir.example.org/r4/c", "app")).isEqualTo("tenant-c");
            scans(2);
            stored.remove("tenant-c");
            assertThat(resolved("https://fhir.example.org/r4/c", "app")).isNull();
            scans(3);
        }

        @Test
        void when_a_provider_of_the_realm_is_updated_on_this_node_and_again_after_the_commit() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            IdentityProviderModel moved = stored.get("tenant-a");
            moved.getConfig().put(SmartTenantConfig.FHIR_BASE_URL, "https://fhir.example.org/r4/moved");
            updatedHere(moved);

            assertThat(resolved("https://fhir.example.org/r4/moved", "app")).isEqualTo("tenant-a");
            scans(2);
            assertThat(resolved(BASE_B, "app")).isEqualTo("tenant-b");
            scans(2);

            assertThat(afterCompletion).hasSize(1);
            afterCompletion.get(0).commit();
            assertThat(resolved(BASE_B, "app")).isEqualTo("tenant-b");
            scans(3);
        }

        @Test
        void when_a_provider_is_removed_on_this_node() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            RealmModel.IdentityProviderRemovedEvent event = mock(RealmModel.IdentityProviderRemovedEvent.class);
            when(event.getRealm()).thenReturn(realm);
            index.onEvent(event);

            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            scans(2);
        }

        @Test
        void when_it_is_older_than_its_maximum_age() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            // Another node moved tenant-b to a new base: same count, no event on this node.
            stored.get("tenant-b").getConfig().put(SmartTenantConfig.FHIR_BASE_URL, "https://fhir.example.org/r4/moved");
            Time.setOffset(29);
            assertThat(resolved("https://fhir.example.org/r4/moved", "app")).isNull();
            scans(1);

            Time.setOffset(31);
            assertThat(resolved("https://fhir.example.org/r4/moved", "app")).isEqualTo("tenant-b");
            scans(2);
        }

        @Test
        void an_old_entry_is_still_used_while_one_background_job_rebuilds_it() {
            deferred = new ArrayList<>();
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            stored.get("tenant-b").getConfig().put(SmartTenantConfig.FHIR_BASE_URL, "https://fhir.example.org/r4/moved");
            Time.setOffset(31);

            assertThat(resolved("https://fhir.example.org/r4/moved", "app")).as("not yet rebuilt").isNull();
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            assertThat(deferred).as("one job for all the requests that saw the old entry").hasSize(1);
            scans(1);

            deferred.remove(0).run();
            scans(2);
            assertThat(resolved("https://fhir.example.org/r4/moved", "app")).isEqualTo("tenant-b");
            assertThat(deferred).isEmpty();
        }

        @Test
        void an_entry_known_to_be_out_of_date_is_rebuilt_by_the_request_not_in_the_background() {
            deferred = new ArrayList<>();
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            tenant("tenant-c", "https://fhir.example.org/r4/c", true, "");

            assertThat(resolved("https://fhir.example.org/r4/c", "app")).isEqualTo("tenant-c");
            assertThat(deferred).isEmpty();
            scans(2);
        }

        @Test
        void not_for_events_of_another_realm() {
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            RealmModel otherRealm = mock(RealmModel.class);
            when(otherRealm.getId()).thenReturn("realm-2");
            RealmModel.IdentityProviderRemovedEvent event = mock(RealmModel.IdentityProviderRemovedEvent.class);
            when(event.getRealm()).thenReturn(otherRealm);
            index.onEvent(event);

            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            scans(1);
        }
    }

    @Nested
    class ForwardersAndProfiles {

        @Test
        void forwarders_come_from_the_index_and_are_checked_again() {
            other("legacy-ehr", "launch, aud");
            other("iss-forwarder", "iss");
            IdentityProviderModel disabled = other("disabled", "launch");
            disabled.setEnabled(false);

            assertThat(Tenants.forwardersOf(session, Set.of("launch", "iss"))).containsExactly("iss-forwarder", "legacy-ehr");
            assertThat(Tenants.forwardersOf(session, Set.of("aud"))).containsExactly("legacy-ehr");
            stored.get("legacy-ehr").setEnabled(false);
            assertThat(Tenants.forwardersOf(session, Set.of("launch"))).isEmpty();
            scans(1);
        }

        @Test
        void profiles_come_from_the_index() {
            assertThat(Tenants.profiles(session)).containsExactly(profile);
            assertThat(Tenants.profiles(session)).containsExactly(profile);
            scans(1);
        }

        @Test
        void a_session_without_a_realm_is_scanned_and_nothing_is_kept() {
            when(session.getContext().getRealm()).thenReturn(null);
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            assertThat(resolved(BASE_A, "app")).isEqualTo("tenant-a");
            scans(2);
        }
    }
}
