package dev.smartbroker.it.bench.launch;

/** The two ways of signing a clinician into an app through Keycloak against the same simulated Cerner tenant. */
enum Comparator {

    /** smart-broker: Launch URI, the app's request with kc_launch, the SMART step, the Cerner tenant provider. */
    BROKER("broker"),
    /** Keycloak's own oidc identity provider pointed at the same tenant, the app asking with kc_idp_hint. */
    STOCK("stock");

    private final String label;

    Comparator(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
