package dev.smartbroker.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands of {@code docs/production.md}, as the page itself holds them. Every {@code sh} block of the page sits
 * under a marker naming who runs it, {@code <!-- ClusterIT: id -->} or {@code <!-- .ci/run: id -->}; placeholders
 * are written {@code <UPPER_CASE>}. The cluster IT takes its commands from here instead of having its own copies,
 * so the page cannot say one thing while the test runs another.
 */
final class ProductionDoc {

    static final String CLUSTER_IT = "ClusterIT";
    static final String CI_RUN = ".ci/run";

    private static final Pattern MARKER = Pattern.compile("^<!-- (ClusterIT|\\.ci/run): ([a-z0-9-]+) -->$");
    private static final Pattern PLACEHOLDER = Pattern.compile("<([A-Z][A-Z0-9_]*)>");
    /** Fence languages that hold commands; any other fence (text, json) is output or an example and runs nowhere. */
    private static final Set<String> COMMAND_LANGUAGES = Set.of("sh", "bash", "shell", "console", "");

    /** One marked block. */
    record Block(String runner, String id, String text, int line) {
    }

    private final Path file;
    private final Map<String, Block> blocks;
    private final Set<String> used = new LinkedHashSet<>();

    private ProductionDoc(Path file, Map<String, Block> blocks) {
        this.file = file;
        this.blocks = blocks;
    }

    static ProductionDoc load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Block> blocks = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("```")) {
                continue;
            }
            String language = line.substring(3).trim();
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).startsWith("```")) {
                end++;
            }
            if (end == lines.size()) {
                problems.add("line " + (i + 1) + ": fence never closed");
                break;
            }
            Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1).trim()) : null;
            boolean marked = marker != null && marker.matches();
            if (COMMAND_LANGUAGES.contains(language)) {
                if (!language.equals("sh")) {
                    problems.add("line " + (i + 1) + ": command blocks are written ```sh");
                } else if (!marked) {
                    problems.add("line " + (i + 1) + ": a command block without a '<!-- ClusterIT: id -->' or '<!-- .ci/run: id -->' marker");
                } else {
                    String id = marker.group(2);
                    if (blocks.containsKey(id)) {
                        problems.add("line " + (i + 1) + ": block id '" + id + "' used twice");
                    }
                    blocks.put(id, new Block(marker.group(1), id, String.join("\n", lines.subList(i + 1, end)), i + 1));
                }
            } else if (marked) {
                problems.add("line " + (i + 1) + ": a marker above a '" + language + "' block, which holds no command");
            }
            i = end;
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(file + " is not in the form the cluster IT runs:\n  " + String.join("\n  ", problems));
        }
        return new ProductionDoc(file, blocks);
    }

    Path file() {
        return file;
    }

    List<Block> blocks(String runner) {
        return blocks.values().stream().filter(b -> b.runner().equals(runner)).toList();
    }

    /** The block {@code id} for the cluster IT, its placeholders replaced; every placeholder must have a value. */
    String command(String id, Map<String, String> values) {
        Block block = blocks.get(id);
        if (block == null || !block.runner().equals(CLUSTER_IT)) {
            throw new IllegalStateException(file + " has no block marked '<!-- ClusterIT: " + id + " -->'");
        }
        Set<String> missing = new TreeSet<>(placeholders(block.text()));
        missing.removeAll(values.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("block '" + id + "' (line " + block.line() + ") has placeholders the test gives no value: " + missing);
        }
        Matcher m = PLACEHOLDER.matcher(block.text());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        used.add(id);
        return out.toString();
    }

    /** Marks a block as run without rendering it again (a build reused from an identical earlier run). */
    void markRun(String id) {
        used.add(id);
    }

    Set<String> used() {
        return Set.copyOf(used);
    }

    static Set<String> placeholders(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
