package dev.smartbroker.it.bench.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.smartbroker.it.support.Environment;
import dev.smartbroker.it.support.KeycloakAdmin;
import dev.smartbroker.it.support.SmartBrokerEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Memory per live launch (run it with {@code bench/launch-memory}; like {@link LaunchBenchmark} it lives in
 * {@code src/bench}). In one Keycloak, {@code bench.memory.launches} whole launches through the broker, each from a
 * fresh browser so that each leaves a live Keycloak session, then as many stock brokered logins of the same simulated
 * tenant ({@link StockComparator}); the Keycloak heap's live bytes are read after a full GC (a class histogram by
 * {@code jcmd}, which collects first) before and after each batch, in {@code bench.memory.passes} passes that each start
 * without sessions and alternate which side goes first. It reports bytes per launch per side and pass, the classes
 * that grew most, and the medians' difference; it fails only when a launch fails.
 */
@ExtendWith(SmartBrokerEnvironment.class)
class LaunchMemoryBenchmark {

    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");
    /** One histogram row: {@code   12:   3456   78900  java.lang.String (java.base@17)}. */
    private static final Pattern ROW = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");
    private static final int TOP_CLASSES = 6;

    private final Environment env;
    private final int launches = Integer.getInteger("bench.memory.launches", 2000);
    private final int passes = Integer.getInteger("bench.memory.passes", 4);

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
            long[] brokerBytes = new long[passes];
            long[] stockBytes = new long[passes];
            for (int pass = 0; pass < passes; pass++) {
                // Each pass starts without sessions, so that the live launches never outgrow Keycloak's session cache
                // (10,000 entries), and the sides take turns going first: what the first side of a pass leaves to
                // expire (a broker launch's single-use records, the database's page cache filling) then weighs on both.
                signOutEveryone();
                boolean stockFirst = pass % 2 == 0;
                Heap before = liveHeap(keycloak);
                batch(stockFirst ? stockLogin : broker, launches);
                Heap middle = liveHeap(keycloak);
                batch(stockFirst ? broker : stockLogin, launches);
                Heap after = liveHeap(keycloak);
                long first = (middle.total() - before.total()) / launches;
                long second = (after.total() - middle.total()) / launches;
                stockBytes[pass] = stockFirst ? first : second;
                brokerBytes[pass] = stockFirst ? second : first;
                lines.add(String.format(Locale.ROOT, "pass %d (%s first): live heap %,d -> %,d -> %,d bytes; per launch stock %,d, broker %,d",
                        pass + 1, stockFirst ? "stock" : "broker", before.total(), middle.total(), after.total(), stockBytes[pass],
                        brokerBytes[pass]));
                // Where it went: the classes whose live bytes changed most, per launch, so that a swing of a cache
                // (the database's page cache, say) can be told from what each launch keeps.
                lines.add("  " + (stockFirst ? "stock " : "broker") + " per launch by class: " + middle.largestChangesSince(before, launches));
                lines.add("  " + (stockFirst ? "broker" : "stock ") + " per launch by class: " + after.largestChangesSince(middle, launches));
            }
            long brokerMedian = median(brokerBytes);
            long stockMedian = median(stockBytes);
            lines.add(String.format(Locale.ROOT, "memory per live launch broker=%d stock=%d extra=%d bytes (medians of %d passes of %d launches "
                    + "per side, live heap after full GC)", brokerMedian, stockMedian, brokerMedian - stockMedian, passes, launches));
        }
        String report = String.join(System.lineSeparator(), lines);
        System.out.println(report);
        Path out = Path.of("target", "bench", "launch-memory.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report + System.lineSeparator());
    }

    /** Ends every session of the realm (the admin API's "sign out all active sessions"). */
    private void signOutEveryone() {
        KeycloakAdmin.Response response = env.admin().post("/realms/" + env.realm() + "/logout-all", "");
        assertThat(response.status()).as("logout-all: " + response.body()).isEqualTo(200);
    }

    private static long median(long[] values) {
        return Math.round(SlotResult.median(Arrays.stream(values).asDoubleStream().toArray()));
    }

    private static void batch(IntConsumer launch, int count) {
        for (int i = 0; i < count; i++) {
            launch.accept(i);
        }
    }

    /** Live bytes of Keycloak's heap, in all and per class. */
    record Heap(long total, Map<String, Long> byClass) {

        String largestChangesSince(Heap earlier, int launches) {
            Map<String, Long> change = new HashMap<>();
            byClass.forEach((type, bytes) -> change.merge(type, bytes, Long::sum));
            earlier.byClass.forEach((type, bytes) -> change.merge(type, -bytes, Long::sum));
            return change.entrySet().stream()
                    .sorted(Comparator.comparingLong((Map.Entry<String, Long> e) -> Math.abs(e.getValue())).reversed())
                    .limit(TOP_CLASSES)
                    .map(e -> String.format(Locale.ROOT, "%s %+,d", e.getKey(), e.getValue() / launches))
                    .collect(Collectors.joining(", "));
        }
    }

    /** Keycloak's heap after a full GC: {@code jcmd GC.class_histogram} collects first, then counts what is left. */
    private static Heap liveHeap(ProcessCpu keycloak) throws IOException {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), String.valueOf(keycloak.keycloakPid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
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
        Map<String, Long> byClass = new HashMap<>();
        Matcher row = ROW.matcher(output);
        while (row.find()) {
            byClass.merge(row.group(2), Long.parseLong(row.group(1)), Long::sum);
        }
        return new Heap(Long.parseLong(total.group(2)), byClass);
    }
}
