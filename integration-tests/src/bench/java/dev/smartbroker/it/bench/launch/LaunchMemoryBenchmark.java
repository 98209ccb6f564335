package dev.smartbroker.it.bench.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Memory per live launch (run it with {@code bench/launch-memory}; like {@link LaunchBenchmark} it lives in
 * {@code src/bench}). In one Keycloak, {@code bench.memory.launches} whole launches through the broker, each from a
 * fresh browser so that each leaves a live Keycloak session, then as many stock brokered logins of the same simulated
 * tenant ({@link StockComparator}); the Keycloak heap's live bytes are read after a full GC (a class histogram by
 * {@code jcmd}, which collects first) before and after each batch, in two passes. It reports bytes per launch per side and their difference; it fails only
 * when a launch fails.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchMemoryBenchmark {

    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    private final Environment env;
    private final int launches = Integer.getInteger("bench.memory.launches", 2000);

    LaunchMemoryBenchmark(Environment env) {
        this.env = env;
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void live_bytes_per_launch_broker_versus_stock() throws IOException {
        ProcessCpu keycloak = ProcessCpu.forKeycloak(env.keycloak().home());
        assertThat(keycloak.found()).as("the Keycloak process").isTrue();
        SerialLaunches serial = new SerialLaunches(env, Environment.SANDBOX_TENANT);
        List<String> lines = new ArrayList<>();
        SerialLaunches.Done probe = serial.broker(LaunchBenchmark.PATIENTS.get(0));
        try (StockComparator stock = StockComparator.install(env, serial.scopeSentToCerner(probe.browser()))) {
            stock.removeUserOnClose(serial.stock(stock, LaunchBenchmark.PATIENTS.get(0)).idToken().path("sub").asText());
            IntConsumer broker = i -> serial.broker(LaunchBenchmark.PATIENTS.get(i % LaunchBenchmark.PATIENTS.size()));
            IntConsumer stockLogin = i -> serial.stock(stock, LaunchBenchmark.PATIENTS.get(i % LaunchBenchmark.PATIENTS.size()));
            // Warm-up: every code path loaded and every cache filled before the first reading.
            batch(broker, 50);
            batch(stockLogin, 50);
            long[] brokerBytes = new long[2];
            long[] stockBytes = new long[2];
            for (int pass = 0; pass < 2; pass++) {
                // Stock first: a broker launch also parks a short-lived single-use record (the launch handle, gone after
                // its lifespan), which must not expire while the other side is being measured. In pass 2 the first pass's
                // records expire during the stock batch, which can only make stock look cheaper.
                long before = liveBytes(keycloak);
                batch(stockLogin, launches);
                long middle = liveBytes(keycloak);
                batch(broker, launches);
                long after = liveBytes(keycloak);
                stockBytes[pass] = (middle - before) / launches;
                brokerBytes[pass] = (after - middle) / launches;
                lines.add(String.format(Locale.ROOT, "pass %d: live heap %,d -> (stock) %,d -> (broker) %,d bytes; per launch stock %,d, broker %,d",
                        pass + 1, before, middle, after, stockBytes[pass], brokerBytes[pass]));
            }
            long broker2 = (brokerBytes[0] + brokerBytes[1]) / 2;
            long stock2 = (stockBytes[0] + stockBytes[1]) / 2;
            lines.add(String.format(Locale.ROOT, "memory per live launch broker=%d stock=%d extra=%d bytes (%d launches per side and pass, "
                    + "live heap after full GC)", broker2, stock2, broker2 - stock2, launches));
        }
        String report = String.join(System.lineSeparator(), lines);
        System.out.println(report);
        Path out = Path.of("target", "bench", "launch-memory.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report + System.lineSeparator());
    }

    private static void batch(IntConsumer launch, int count) {
        for (int i = 0; i < count; i++) {
            launch.accept(i);
        }
    }

    /** Live bytes of Keycloak's heap: {@code jcmd GC.class_histogram} runs a full GC and then counts what is left. */
    private static long liveBytes(ProcessCpu keycloak) throws IOException {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(keycloak.keycloakPid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("jcmd failed: " + output.lines().limit(5).toList());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Matcher total = TOTAL.matcher(output);
        if (!total.find()) {
            throw new IllegalStateException("no Total line in the class histogram");
        }
        return Long.parseLong(total.group(2));
    }
}
