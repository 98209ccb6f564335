package dev.smartbroker.it.bench.launch;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The knobs of the launch benchmark, from {@code -Dbench.*} system properties (bench/launch passes them through
 * Maven to Failsafe). Everything has a bound: rounds, seconds, launches per round, the run's wall-clock budget.
 *
 * @param concurrencies    virtual browsers per comparator, one Gatling run each ({@code bench.concurrency=1,8})
 * @param rounds           measured rounds per comparator and concurrency ({@code bench.rounds=6}: single rounds of one run
 *                         range over ±0.2 around the ratio, so the median needs several)
 * @param seconds          length of one round ({@code bench.seconds=5})
 * @param warmupSeconds    length of the discarded warm-up round per comparator and concurrency, 0 for none
 *                         ({@code bench.warmup=20}: Keycloak's JIT is still warming up after 5 s)
 * @param jvmWarmupSeconds a discarded run before everything else, at the highest concurrency, broker and stock in
 *                         alternating slices of {@link #JVM_WARMUP_SLICE_SECONDS} s, 0 for none ({@code bench.jvmWarmup=300}):
 *                         with only the per-concurrency warm-up, Keycloak still got faster from round to round, the
 *                         broker more than stock (its code paths are more, and warmed by fewer launches); after 120 s
 *                         the JIT was still compiling at several seconds per 10 s of run on two cores, and after 240 s
 *                         one run's throughput was still half of what it reached later
 * @param tenants          identity providers in the realm for the second phase; 3 (the two demo tenants and the stock
 *                         comparator) runs no second phase ({@code bench.tenants=3}, e.g. 1000)
 * @param maxLaunchesPerRound launches one round may start, all browsers together ({@code bench.maxLaunches=20000})
 * @param maxMinutes       wall-clock budget of one Gatling run, after which it is stopped and counted as failed
 *                         ({@code bench.maxMinutes=8})
 */
record BenchSettings(List<Integer> concurrencies, int rounds, int seconds, int warmupSeconds, int jvmWarmupSeconds, int tenants,
                     int maxLaunchesPerRound, int maxMinutes) {

    static final int JVM_WARMUP_SLICE_SECONDS = 10;

    /** Identity providers of the realm during the first phase: cerner-sandbox, cerner-northwind, the stock comparator. */
    static final int BASE_TENANTS = 3;
    static final int MAX_TENANTS = 5_000;

    BenchSettings {
        if (concurrencies.isEmpty() || concurrencies.stream().anyMatch(c -> c < 1 || c > 64)) {
            throw new IllegalArgumentException("bench.concurrency: 1 to 64 browsers per comparator, got " + concurrencies);
        }
        check("bench.rounds", rounds, 1, 50);
        check("bench.seconds", seconds, 1, 120);
        check("bench.warmup", warmupSeconds, 0, 120);
        check("bench.jvmWarmup", jvmWarmupSeconds, 0, 420);
        check("bench.tenants", tenants, BASE_TENANTS, MAX_TENANTS);
        check("bench.maxLaunches", maxLaunchesPerRound, 1, 1_000_000);
        check("bench.maxMinutes", maxMinutes, 1, 60);
    }

    static BenchSettings fromSystemProperties() {
        List<Integer> concurrencies = Arrays.stream(System.getProperty("bench.concurrency", "1,8").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
        return new BenchSettings(concurrencies, Integer.getInteger("bench.rounds", 6), Integer.getInteger("bench.seconds", 5),
                Integer.getInteger("bench.warmup", 20), Integer.getInteger("bench.jvmWarmup", 300), Integer.getInteger("bench.tenants", BASE_TENANTS),
                Integer.getInteger("bench.maxLaunches", 20_000), Integer.getInteger("bench.maxMinutes", 8));
    }

    boolean manyTenants() {
        return tenants > BASE_TENANTS;
    }

    int extraTenants() {
        return tenants - BASE_TENANTS;
    }

    Duration maxRunDuration() {
        return Duration.ofMinutes(maxMinutes);
    }

    /** Broker and stock slices of the JVM warm-up run (one of each per round), 0 when there is none. */
    int jvmWarmupRounds() {
        return (jvmWarmupSeconds + 2 * JVM_WARMUP_SLICE_SECONDS - 1) / (2 * JVM_WARMUP_SLICE_SECONDS);
    }

    int highestConcurrency() {
        return concurrencies.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    String describe() {
        String jvm = jvmWarmupRounds() == 0 ? "" : String.format(Locale.ROOT, "first a JVM warm-up of %d s at %d browsers (discarded); ",
                jvmWarmupRounds() * 2 * JVM_WARMUP_SLICE_SECONDS, highestConcurrency());
        return String.format(Locale.ROOT, "%sconcurrency %s; per comparator and concurrency %s%d measured round%s of %d s", jvm,
                concurrencies, warmupSeconds > 0 ? "1 warm-up round of " + warmupSeconds + " s (discarded), " : "", rounds,
                rounds == 1 ? "" : "s", seconds);
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be within " + min + ".." + max + ", got " + value);
        }
    }
}
