package dev.smartbroker.it.support;

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
 * The command blocks of a guide under {@code docs/guides/}, as the page holds them, for {@code GuidesIT}.
 *
 * <p>A page's fenced blocks are of three kinds. A command block ({@code sh}, and also {@code bash}, {@code shell},
 * {@code console} or no language, which are refused so that pages stay uniform) must sit directly under
 * {@code <!-- GuidesIT: id -->}. A {@code json} block is a payload that a later command sends: it must sit under
 * {@code <!-- GuidesIT: file name.json -->}, and the test saves it under that name in the directory the page's
 * commands run in, as a reader saves it next to their shell. Any other block ({@code text} for output, the sequence
 * diagrams) runs nowhere and carries no marker. Placeholders are written {@code <UPPER_CASE>}. Loading fails with
 * every problem of the page, so a command cannot be added to a guide without a test running it.
 */
public final class GuideDoc {

    public static final String RUNNER = "GuidesIT";

    private static final Pattern MARKER = Pattern.compile("^<!-- GuidesIT: (file )?([A-Za-z0-9][A-Za-z0-9._-]*) -->$");
    private static final Pattern PLACEHOLDER = Pattern.compile("<([A-Z][A-Z0-9_]*)>");
    private static final Set<String> COMMAND_LANGUAGES = Set.of("sh", "bash", "shell", "console", "");
    private static final String FILE_LANGUAGE = "json";

    /** What a marked block is. */
    public enum Kind {
        /** Shell commands, run with bash. */
        COMMAND,
        /** A file the commands read, saved before the next command runs. */
        FILE
    }

    /** One marked block: its id (for a file, the file's name), its text and the line of its opening fence. */
    public record Block(Kind kind, String id, String text, int line) {
    }

    private final Path file;
    private final List<Block> blocks;

    private GuideDoc(Path file, List<Block> blocks) {
        this.file = file;
        this.blocks = List.copyOf(blocks);
    }

    public static GuideDoc load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Block> blocks = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher stray = MARKER.matcher(line.trim());
            if (stray.matches() && (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```"))) {
                problems.add("line " + (i + 1) + ": a marker not directly above a fenced block");
            }
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
            boolean fileMarker = marked && marker.group(1) != null;
            String text = String.join("\n", lines.subList(i + 1, end));
            int at = i + 1;
            if (COMMAND_LANGUAGES.contains(language)) {
                if (!language.equals("sh")) {
                    problems.add("line " + at + ": command blocks are written ```sh (output goes in ```text)");
                } else if (!marked || fileMarker) {
                    problems.add("line " + at + ": a command block without a '<!-- GuidesIT: id -->' marker");
                } else if (!ids.add(marker.group(2))) {
                    problems.add("line " + at + ": block id '" + marker.group(2) + "' used twice");
                } else {
                    blocks.add(new Block(Kind.COMMAND, marker.group(2), text, at));
                }
            } else if (language.equals(FILE_LANGUAGE)) {
                if (!fileMarker) {
                    problems.add("line " + at + ": a json block is a payload a command sends: mark it '<!-- GuidesIT: file name.json -->'"
                            + " (example output goes in ```text)");
                } else if (!ids.add(marker.group(2))) {
                    problems.add("line " + at + ": file '" + marker.group(2) + "' given twice");
                } else {
                    blocks.add(new Block(Kind.FILE, marker.group(2), text, at));
                }
            } else if (marked) {
                problems.add("line " + at + ": a marker above a '" + language + "' block, which holds no command");
            }
            i = end;
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(file + " is not in the form GuidesIT runs:\n  " + String.join("\n  ", problems));
        }
        return new GuideDoc(file, blocks);
    }

    public Path file() {
        return file;
    }

    public List<Block> blocks() {
        return blocks;
    }

    public List<String> commandIds() {
        return blocks.stream().filter(b -> b.kind() == Kind.COMMAND).map(Block::id).toList();
    }

    /** {@code text} with every placeholder replaced; a placeholder without a value fails, naming the block. */
    public static String render(Block block, Map<String, String> values) {
        Set<String> missing = new TreeSet<>(placeholders(block.text()));
        missing.removeAll(values.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("block '" + block.id() + "' (line " + block.line() + ") has placeholders the test gives no value: "
                    + missing);
        }
        Matcher m = PLACEHOLDER.matcher(block.text());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    public static Set<String> placeholders(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Every page of a folder, by file name. */
    public static Map<String, GuideDoc> loadAll(Path folder) {
        Map<String, GuideDoc> docs = new LinkedHashMap<>();
        try (var files = Files.list(folder)) {
            for (Path page : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                docs.put(page.getFileName().toString(), load(page));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }
}
