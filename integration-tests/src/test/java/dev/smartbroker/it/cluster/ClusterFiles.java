package dev.smartbroker.it.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/** File helpers of the cluster IT: private copies of the Keycloak distribution, build fingerprints, secrets. */
final class ClusterFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ClusterFiles() {
    }

    /** A fresh random secret of letters and digits (safe inside SQL quotes and shell words). */
    static String randomSecret() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            s.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    /** A full copy of {@code source} (the distribution the single-node ITs use stays untouched). */
    static void copyTree(Path source, Path target, boolean skipData) throws IOException {
        deleteTree(target);
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path from : walk.toList()) {
                Path relative = source.relativize(from);
                if (skipData && relative.startsWith("data")) {
                    continue;
                }
                Path to = target.resolve(relative.toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /**
     * A node's own directory made from the built distribution: hard links (nothing writes those files once built),
     * except {@code conf/}, copied because each node writes its own {@code keycloak.conf}, and {@code data/}, left out.
     */
    static void nodeCopy(Path built, Path node) throws IOException {
        deleteTree(node);
        try (Stream<Path> walk = Files.walk(built)) {
            for (Path from : walk.toList()) {
                Path relative = built.relativize(from);
                if (relative.startsWith("data")) {
                    continue;
                }
                Path to = node.resolve(relative.toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else if (relative.startsWith("conf")) {
                    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
                } else {
                    try {
                        Files.createLink(to, from);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }

    static String fingerprint(String text, Path jarsDir) throws IOException {
        try (Stream<Path> jars = Files.list(jarsDir)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(text.getBytes(StandardCharsets.UTF_8));
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                digest.update(jar.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(jar)) {
                    digest.update(in.readAllBytes());
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
