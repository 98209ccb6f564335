package dev.smartbroker.it.bench.launch;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;

/**
 * CPU time consumed so far by the Keycloak process and by this JVM (Gatling, the embedded simulator, JUnit), read at
 * the edges of each round. Keycloak's is {@code utime + stime} of its java process from {@code /proc/<pid>/stat}
 * (clock ticks, 10 ms here), found among this JVM's descendants by the Keycloak home on its command line
 * ({@code kc.sh} execs java, so it is the process the harness started). Where that cannot be read, -1.
 */
final class ProcessCpu {

    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ is 100 on Linux

    private final ProcessHandle keycloak;

    private ProcessCpu(ProcessHandle keycloak) {
        this.keycloak = keycloak;
    }

    static ProcessCpu forKeycloak(Path keycloakHome) {
        String home = keycloakHome.toAbsolutePath().normalize().toString();
        Optional<ProcessHandle> found = ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .filter(p -> p.info().commandLine().map(c -> c.contains(home)).orElse(false))
                .max(Comparator.comparing(p -> p.info().totalCpuDuration().orElse(Duration.ZERO)));
        return new ProcessCpu(found.orElse(null));
    }

    boolean found() {
        return keycloak != null;
    }

    long keycloakPid() {
        return keycloak == null ? -1 : keycloak.pid();
    }

    /** Keycloak's user + system CPU in nanoseconds, or -1. */
    long keycloakNanos() {
        if (keycloak == null) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(keycloak.pid()), "stat"));
            // Fields after the command (which may contain spaces) start after the last ')'; utime and stime are 14 and 15.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
        } catch (Exception e) {
            return keycloak.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        }
    }

    /** This JVM's CPU in nanoseconds, or -1. */
    static long jvmNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
