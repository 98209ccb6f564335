package dev.smartbroker.it.bench.launch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The time plan of one Gatling run and what was measured in it. Two populations of virtual browsers (broker, stock)
 * of {@code browsers} each first warm up (EHR sign-in, consent), then take turns: a slot belongs to one comparator,
 * opens when every browser is warm (first slot) or when every browser of the previous slot has finished its last
 * launch, and closes for new launches after {@code slotNanos}. So a comparator never runs while the other one is
 * measured, and the browsers of a slot start together (closed model: each browser starts its next launch when its
 * previous one ended).
 *
 * <p>Thread-safe: Gatling calls it from its event loops; nothing here blocks (browsers poll {@link #isOpen}).
 */
final class Schedule {

    /** One turn of one comparator. */
    static final class Slot {

        final Comparator comparator;
        /** 0 for the discarded warm-up round, then 1.. */
        final int round;
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger finishedBrowsers = new AtomicInteger();
        /** Per successful launch: the nanoseconds of each {@link Step}, in enum order. */
        final ConcurrentLinkedQueue<long[]> launches = new ConcurrentLinkedQueue<>();
        final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
        /** Browser requests of the successful launches. */
        final AtomicLong requests = new AtomicLong();
        volatile long closesAt;
        volatile long openedAt;
        volatile long closedAt;
        /** Wall-clock epoch milliseconds of opening and closing, to find the slot in a profile (JFR) of Keycloak. */
        volatile long openedEpochMillis;
        volatile Instant simulatorOpened;
        volatile Instant simulatorClosed;
        volatile long keycloakCpuOpened;
        volatile long keycloakCpuClosed;
        volatile long jvmCpuOpened;
        volatile long jvmCpuClosed;

        Slot(Comparator comparator, int round) {
            this.comparator = comparator;
            this.round = round;
        }

        boolean measured() {
            return round > 0;
        }

        int errorCount() {
            return errors.values().stream().mapToInt(AtomicInteger::get).sum();
        }

        String name() {
            return (round == 0 ? "warm-up" : "round " + round) + " " + comparator.label();
        }
    }

    private final List<Slot> slots;
    private final int browsers;
    private final long slotNanos;
    private final long warmupSlotNanos;
    private final int maxLaunchesPerSlot;
    private final long deadline;
    private final LongSupplier keycloakCpu;
    private final LongSupplier jvmCpu;
    private final Supplier<Instant> simulatorClock;
    private final Consumer<String> progress;
    private final AtomicInteger ready = new AtomicInteger();
    private final Map<String, AtomicInteger> warmupErrors = new ConcurrentHashMap<>();
    private final AtomicInteger warmupRequests = new AtomicInteger();
    private volatile String stopped;
    private volatile boolean complete;

    Schedule(int browsers, int rounds, long slotNanos, long warmupSlotNanos, int maxLaunchesPerSlot, long deadline,
             LongSupplier keycloakCpu, LongSupplier jvmCpu, Supplier<Instant> simulatorClock, Consumer<String> progress) {
        this.browsers = browsers;
        this.slotNanos = slotNanos;
        this.warmupSlotNanos = warmupSlotNanos;
        this.maxLaunchesPerSlot = maxLaunchesPerSlot;
        this.deadline = deadline;
        this.keycloakCpu = keycloakCpu;
        this.jvmCpu = jvmCpu;
        this.simulatorClock = simulatorClock;
        this.progress = progress;
        List<Slot> plan = new ArrayList<>();
        if (warmupSlotNanos > 0) {
            plan.add(new Slot(Comparator.BROKER, 0));
            plan.add(new Slot(Comparator.STOCK, 0));
        }
        // A B, B A, A B, ...: whatever drifts during the run (JIT, caches, the neighbours' load) hits both.
        for (int round = 1; round <= rounds; round++) {
            boolean brokerFirst = round % 2 == 1;
            plan.add(new Slot(brokerFirst ? Comparator.BROKER : Comparator.STOCK, round));
            plan.add(new Slot(brokerFirst ? Comparator.STOCK : Comparator.BROKER, round));
        }
        this.slots = Collections.unmodifiableList(plan);
    }

    List<Slot> slots() {
        return slots;
    }

    Slot slot(int index) {
        return slots.get(index);
    }

    int browsers() {
        return browsers;
    }

    /** A browser finished its warm-up (well or not); the first slot opens when all of them have. */
    void browserReady() {
        if (ready.incrementAndGet() == 2 * browsers) {
            open(0);
        }
    }

    /** Whether the browsers of slot {@code index} may go (or have to give up waiting because the run stopped). */
    boolean isOpen(int index) {
        return slots.get(index).openedAt != 0 || stopped();
    }

    /**
     * Called by a browser before each launch of slot {@code index}: true when it may start another one (the slot is
     * open, has time left and has not reached its launch budget).
     */
    boolean tryStartLaunch(int index) {
        Slot slot = slots.get(index);
        if (stopped() || slot.openedAt == 0 || System.nanoTime() >= slot.closesAt) {
            return false;
        }
        if (slot.started.incrementAndGet() > maxLaunchesPerSlot) {
            slot.started.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A browser left slot {@code index}; the last one closes it and opens the next. */
    void browserDone(int index) {
        Slot slot = slots.get(index);
        if (slot.finishedBrowsers.incrementAndGet() != browsers) {
            return;
        }
        slot.closedAt = System.nanoTime();
        slot.simulatorClosed = simulatorClock.get();
        slot.keycloakCpuClosed = keycloakCpu.getAsLong();
        slot.jvmCpuClosed = jvmCpu.getAsLong();
        progress.accept(String.format(java.util.Locale.ROOT, "  %-16s %6d launches %5d errors %6.1f s [%d..%d]", slot.name(),
                slot.launches.size(), slot.errorCount(), (slot.closedAt - slot.openedAt) / 1e9, slot.openedEpochMillis,
                System.currentTimeMillis()));
        if (index + 1 < slots.size()) {
            open(index + 1);
        } else {
            complete = true;
        }
    }

    private void open(int index) {
        Slot slot = slots.get(index);
        slot.simulatorOpened = simulatorClock.get();
        slot.keycloakCpuOpened = keycloakCpu.getAsLong();
        slot.jvmCpuOpened = jvmCpu.getAsLong();
        long now = System.nanoTime();
        slot.closesAt = now + (slot.measured() ? slotNanos : warmupSlotNanos);
        slot.openedAt = now;
        slot.openedEpochMillis = System.currentTimeMillis();
    }

    void recordLaunch(int index, long[] stepNanos, int requests) {
        Slot slot = slots.get(index);
        slot.launches.add(stepNanos);
        slot.requests.addAndGet(requests);
    }

    void recordError(int index, String reason) {
        slots.get(index).errors.computeIfAbsent(reason, k -> new AtomicInteger()).incrementAndGet();
    }

    void recordWarmup(String error, int requests) {
        if (error != null) {
            warmupErrors.computeIfAbsent(error, k -> new AtomicInteger()).incrementAndGet();
        }
        warmupRequests.addAndGet(requests);
    }

    Map<String, AtomicInteger> warmupErrors() {
        return warmupErrors;
    }

    /** Whether every slot ran to its end. */
    boolean complete() {
        return complete;
    }

    /** Why the run stopped early, or null. */
    String stopReason() {
        return stopped;
    }

    boolean stopped() {
        if (stopped == null && System.nanoTime() - deadline > 0) {
            stopped = "the run passed its deadline (bench.maxMinutes)";
        }
        return stopped != null;
    }
}
