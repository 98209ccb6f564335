package dev.smartbroker.smart.launch;

/** Names of the parameters that carry a launch from the Launch URI to the app's authorization request. */
final class LaunchParameters {

    /**
     * Added to the app's landing URL by the Launch URI; apps that forward it as an extra authorization parameter
     * are bound to exactly this launch, whatever else happens in the browser.
     */
    static final String HANDLE = "kc_launch";

    private LaunchParameters() {
    }
}
