package dev.smartbroker.smart.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The layout the README describes: profiles depend on the SMART core, never the reverse, and no class grows into
 * several things glued together. Reads the sources of every module of the repository.
 */
class LayoutTest {

    /** The repository root: this module's parent. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.smartbroker\\.(cerner|generic)\\b");
    private static final int MAX_LINES = 400;

    private static List<Path> javaFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files of {@code dirs} that name a profile package, with the first such name. */
    private static Map<Path, String> profileReferences(Path... dirs) {
        return Stream.of(dirs).flatMap(d -> javaFiles(d).stream())
                .filter(f -> REFERENCE.matcher(read(f)).find())
                .collect(Collectors.toMap(f -> ROOT.relativize(f), f -> {
                    Matcher m = REFERENCE.matcher(read(f));
                    m.find();
                    return m.group();
                }));
    }

    @Test
    void the_core_and_the_launch_module_never_name_a_profile() {
        assertThat(javaFiles(ROOT.resolve("smart-core/src/main/java/dev/smartbroker/smart"))).as("the core's sources").isNotEmpty();
        assertThat(profileReferences(ROOT.resolve("smart-core/src/main/java/dev/smartbroker/smart"),
                ROOT.resolve("smart-launch-authenticator/src/main/java"))).isEmpty();
    }

    @Test
    void profiles_do_not_name_each_other() {
        assertThat(javaFiles(ROOT.resolve("cerner-identity-provider/src/main/java")).stream()
                .filter(f -> read(f).contains("dev.smartbroker.generic")).toList()).isEmpty();
        assertThat(javaFiles(ROOT.resolve("smart-core/src/main/java/dev/smartbroker/generic")).stream()
                .filter(f -> read(f).contains("dev.smartbroker.cerner")).toList()).isEmpty();
    }

    @Test
    void the_check_sees_a_profile_reference_when_there_is_one() {
        // The profile's own sources name their package: the pattern finds what it is meant to find.
        assertThat(profileReferences(ROOT.resolve("cerner-identity-provider/src/main/java"))).isNotEmpty();
    }

    @Test
    void no_main_class_is_over_four_hundred_lines() {
        List<String> tooLong;
        try (Stream<Path> modules = Files.list(ROOT)) {
            tooLong = modules.filter(Files::isDirectory)
                    .flatMap(m -> javaFiles(m.resolve("src/main/java")).stream())
                    .filter(f -> read(f).lines().count() > MAX_LINES)
                    .map(f -> ROOT.relativize(f) + " (" + read(f).lines().count() + " lines)")
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(tooLong).isEmpty();
    }
}
