package dev.smartbroker.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One reader's terminal for one guide: the guide's command blocks run one after another with {@code bash -euo
 * pipefail} in one directory, and the shell variables a block sets (a token, an id) are there for the next block, as
 * they would be in the terminal the reader pastes the blocks into. {@code HOME} is that directory too, so that
 * {@code kcadm.sh} keeps its login in it and never in the home of whoever runs the tests. Every block is bounded.
 */
public final class GuideShell {

    /** What a block printed and how it ended. */
    public record Result(int exit, String stdout, String stderr) {
    }

    private static final String STATE = ".guide-vars";
    /**
     * Before the block: note the shell's own variables, then restore the ones earlier blocks set. After it, whatever
     * happened: save every variable the shell did not start with.
     */
    private static final String PRELUDE = String.join("\n",
            "__guide_base=\" $(compgen -v | tr '\\n' ' ') \"",
            "if [ -f " + STATE + " ]; then source " + STATE + "; fi",
            "__guide_save() { for __guide_v in $(compgen -v); do case \"$__guide_base\" in *\" $__guide_v \"*) ;; *)"
                    + " case \"$__guide_v\" in __guide*|BASH_*|FUNCNAME|PIPESTATUS|_) ;; *) declare -p \"$__guide_v\" ;; esac ;; esac; done > " + STATE
                    + " 2>/dev/null; }",
            "trap __guide_save EXIT",
            "set -euo pipefail",
            "");

    private final Path dir;
    private final Map<String, String> env;
    private final Duration timeout;

    public GuideShell(Path dir, Map<String, String> env, Duration timeout) {
        this.dir = dir;
        this.env = Map.copyOf(env);
        this.timeout = timeout;
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(STATE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Saves a payload block as the reader would, next to their shell. */
    public void save(String name, String text) {
        try {
            Files.writeString(dir.resolve(name), text + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Result run(String id, String script) {
        Path out = dir.resolve(id + ".out");
        Path err = dir.resolve(id + ".err");
        ProcessBuilder builder = new ProcessBuilder(List.of("bash", "-c", PRELUDE + script))
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("block '" + id + "' still running after " + timeout + ":\n" + script);
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
