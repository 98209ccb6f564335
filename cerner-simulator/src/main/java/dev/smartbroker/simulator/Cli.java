package dev.smartbroker.simulator;

import java.nio.file.Path;
import java.util.Arrays;

/** The command line of {@code java -jar cerner-simulator.jar}: options, and what a standalone run prints. */
final class Cli {

    static final String USAGE = "usage: java -jar cerner-simulator.jar [--host 127.0.0.1] [--port 8088] [--config simulator.json]"
            + " [--no-test-app]";

    private Cli() {
    }

    /** Starts a simulator as the arguments ask and runs until the JVM is stopped. */
    static void run(String[] args) {
        SimulatorConfig config;
        try {
            config = parseArgs(args);
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.println(USAGE);
            return;
        }
        CernerSimulator simulator = CernerSimulator.start(config);
        if (!Arrays.asList(args).contains("--no-test-app")) {
            simulator.enableTestApp();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "stop-cerner-simulator"));
        System.out.println(describe(simulator, config));
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The config the arguments ask for, or null for --help. */
    static SimulatorConfig parseArgs(String[] args) {
        SimulatorConfig config = SimulatorConfig.defaults();
        // --config first, so that --port and --host override the file wherever they appear.
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config")) {
                config = SimulatorConfig.fromJson(Path.of(value(args, ++i)));
            }
        }
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> i++;
                case "--no-test-app" -> {
                    // read by run: the built-in test app is not part of the config
                }
                case "--port" -> config = config.withPort(Integer.parseInt(value(args, ++i)));
                case "--host" -> config = config.withHost(value(args, ++i));
                case "--help", "-h" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        return config;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** What a standalone run prints: where to click and what to configure. */
    static String describe(CernerSimulator sim, SimulatorConfig config) {
        String baseUrl = sim.baseUrl();
        StringBuilder out = new StringBuilder("Cerner simulator listening on ").append(baseUrl).append('\n');
        out.append("  PowerChart launcher:  ").append(baseUrl).append("/launcher\n");
        out.append("  Authorization JWKS:   ").append(baseUrl).append("/jwk\n");
        for (SimulatorConfig.Tenant tenant : config.tenants()) {
            out.append("  Tenant ").append(tenant.name()).append(tenant.isGeneric() ? " [generic SMART App Launch 2.x]" : "").append('\n');
            out.append("    FHIR base (iss):    ").append(sim.fhirBase(tenant.id())).append('\n');
            out.append("    discovery:          ").append(sim.fhirBase(tenant.id())).append("/.well-known/smart-configuration\n");
            out.append("    token endpoint:     ").append(sim.tokenEndpoint(tenant.id())).append('\n');
        }
        out.append("  Clinician logins:     ")
                .append(String.join(", ", config.users().stream().map(u -> u.username() + "/" + u.password()).toList())).append('\n');
        if (sim.apps().stream().anyMatch(a -> a.clientId().equals(TestApp.CLIENT_ID))) {
            out.append("  Built-in test app:    launch \"").append(TestApp.NAME).append("\" from the launcher (--no-test-app to leave it out)\n");
        }
        out.append("  Registered apps:      ").append(sim.apps().size()).append(" (add with POST ").append(baseUrl).append("/admin/apps)\n");
        out.append("  Admin API (loopback): ").append(baseUrl).append("/admin/{apps,faults,requests,tokens,tenants/{id}/settings,keys/rotate,clock}");
        return out.toString();
    }
}
