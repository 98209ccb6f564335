package dev.smartbroker.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a block of {@code docs/production.md} the way an operator pastes it into a shell: {@code bash -eu -o pipefail},
 * in a given directory, optionally as another (non-root) user, with its output in a log file. Every run is bounded.
 */
final class Shell {

    private Shell() {
    }

    /** The command line that runs {@code script}, as {@code user} when given (the test runs as root in CI). */
    static List<String> command(String script, String user, Map<String, String> env) {
        List<String> command = new ArrayList<>();
        if (user != null) {
            // runuser keeps the caller's environment; PATH and the block's variables are passed explicitly anyway.
            command.addAll(List.of("runuser", "-u", user, "--", "env"));
            env.forEach((k, v) -> command.add(k + "=" + v));
        }
        command.addAll(List.of("bash", "-eu", "-o", "pipefail", "-c", script));
        return command;
    }

    static Process start(String script, Path workDir, String user, Map<String, String> env, Path log) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command(script, user, env))
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code script} to its end; returns its exit code. Past {@code timeout} its process tree is killed. */
    static int run(String script, Path workDir, String user, Map<String, String> env, Path log, Duration timeout) {
        Process process = start(script, workDir, user, env, log);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("still running after " + timeout + ":\n" + script + "\n" + tail(log, 40));
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code script}, which must succeed. */
    static void runOk(String script, Path workDir, String user, Map<String, String> env, Path log, Duration timeout) {
        int exit = run(script, workDir, user, env, log, timeout);
        if (exit != 0) {
            throw new IllegalStateException("exit " + exit + " from:\n" + script + "\n---- " + log + " ----\n" + tail(log, 60));
        }
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
