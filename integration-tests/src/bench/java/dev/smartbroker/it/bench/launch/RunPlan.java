package dev.smartbroker.it.bench.launch;

import java.time.Duration;
import java.util.List;

import dev.smartbroker.simulator.CernerSimulator;

/**
 * Everything one Gatling run of {@link LaunchSimulation} needs, handed over by {@link LaunchBenchmark} through
 * {@link LaunchSimulation#PLAN} (Gatling instantiates the simulation itself, in this JVM).
 *
 * @param schedule   the slots of the run, and where the measurements go
 * @param simulator  the embedded simulator, which mints each launch ({@code createLaunch}) as PowerChart would
 * @param tenant     the Cerner tenant both comparators launch against
 * @param fhirBase   that tenant's FHIR base, the {@code iss} and {@code aud}
 * @param realmUrl   Keycloak's realm URL
 * @param appUrl     the sample app's base URL: where the broker's Launch URI lands
 * @param broker     the app and clinician of broker launches
 * @param stock      the app and clinician of stock launches
 * @param tokens     checks the ID token of every launch
 * @param patients   patients the launches cycle through
 * @param maxRun     Gatling's hard stop for the run
 */
record RunPlan(Schedule schedule, CernerSimulator simulator, String tenant, String fhirBase, String realmUrl, String appUrl,
               Party broker, Party stock, IdTokenCheck tokens, List<String> patients, Duration maxRun) {

    /**
     * One side: the Keycloak client the app is, the Cerner clinician who launches, and the user Keycloak must put
     * into the ID token.
     *
     * @param idpAlias        the identity provider whose callback the launch passes
     * @param cernerLaunchClient the Cerner registration the launch is minted for
     */
    record Party(String clientId, String clientSecret, String redirectUri, String cernerUser, String cernerPassword,
                 String expectedSubject, String idpAlias, String cernerLaunchClient) {
    }

    Party party(Comparator comparator) {
        return comparator == Comparator.BROKER ? broker : stock;
    }
}
