package dev.smartbroker.it.bench.launch;

/** The parts of one launch, timed separately. Their durations add up to the launch's latency. */
enum Step {

    /** GET of the Launch URI until its redirect to the app's Home URL (broker only; stock has no such hop). */
    LAUNCH_URI("Launch URI"),
    /** The app's authorization request at Keycloak, every Keycloak hop until the redirect to Cerner's authorize. */
    AUTHORIZE("app authorize"),
    /** Cerner's authorize with a live EHR session and remembered consent, until the redirect to Keycloak's callback. */
    CERNER("Cerner authorize"),
    /** Keycloak's broker callback (code exchange with Cerner included), every hop until the redirect to the app. */
    CALLBACK("callback"),
    /** The app's code exchange at Keycloak's token endpoint. */
    EXCHANGE("code exchange");

    private final String label;

    Step(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
