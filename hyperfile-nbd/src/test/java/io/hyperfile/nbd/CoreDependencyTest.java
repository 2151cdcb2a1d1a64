package io.hyperfile.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.server.NbdServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The NBD layer sees only the narrow block-device API of core (style guide §1): every core name that the module's
 * main code uses must be a class of {@code io.hyperfile.core} itself (the exception root), of {@code core.volume} or
 * of {@code core.block}; {@code core.store}, {@code core.segment} and everything else below the volume stay out.
 * Checked twice: in the sources (imports, Javadoc links and fully qualified names alike) and in the compiled class
 * files' constant pools (which also hold the types reached through method signatures, e.g. the return type of a
 * record accessor the code calls).
 */
class CoreDependencyTest {
    private static final Pattern SOURCE_NAME = Pattern.compile("io\\.hyperfile\\.core\\.([A-Za-z0-9_.]+)");
    private static final Pattern CLASS_FILE_NAME = Pattern.compile("io/hyperfile/core/([A-Za-z0-9_$/]+)");

    @Test
    void compiledMainClassesReferToNoCorePackageBelowTheVolume() throws Exception {
        Path classes = Path.of(NbdServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "expected the module's compiled main classes at " + classes);
        assertEquals(List.of(), violations(classes, ".class", CLASS_FILE_NAME, "/"));
    }

    @Test
    void mainSourcesNameNoCorePackageBelowTheVolume() throws Exception {
        Path classes = Path.of(NbdServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path sources = classes.resolve("../../src/main/java").normalize();
        assertTrue(Files.isDirectory(sources), "expected the module's main sources at " + sources);
        assertEquals(List.of(), violations(sources, ".java", SOURCE_NAME, "\\."));
    }

    @Test
    void theRuleAllowsTheRootVolumeAndBlockClassesOnly() {
        assertTrue(isAllowed("HyperfileException".split("\\.")));
        assertTrue(isAllowed("volume.BlockDevice".split("\\.")));
        assertTrue(isAllowed("block.Allocation.DATA".split("\\.")));
        assertTrue(isAllowed("block/AllocationRun".split("/")));
        assertTrue(isAllowed("volume".split("\\.")));
        assertFalse(isAllowed("store.StorageException".split("\\.")));
        assertFalse(isAllowed("store.Exceptions".split("\\.")));
        assertFalse(isAllowed("segment/ExtentKind".split("/")));
        assertFalse(isAllowed("volume.internal.Thing".split("\\.")));
        assertFalse(isAllowed("index.BlockIndex".split("\\.")));
        assertFalse(isAllowed("store".split("\\.")));
    }

    /** The names below {@code io.hyperfile.core} (split on {@code separator}) that are not allowed, per file. */
    private static List<String> violations(Path root, String suffix, Pattern name, String separator) throws IOException {
        TreeSet<String> violations = new TreeSet<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(suffix)).toList()) {
                scanned++;
                // Class files: constant-pool UTF-8 entries of ASCII names are stored as is, so Latin-1 keeps them intact.
                Matcher m = name.matcher(read(file));
                while (m.find()) {
                    String found = m.group(1).replaceAll("[.]+$", "");
                    if (!isAllowed(found.split(separator))) {
                        violations.add(root.relativize(file) + " names io.hyperfile.core." + found.replace('/', '.'));
                    }
                }
            }
        }
        assertTrue(scanned > 20, "scanned only " + scanned + " " + suffix + " files under " + root);
        return List.copyOf(violations);
    }

    /** Allowed: a class of the core root package, core.volume or core.block, or those packages themselves (not their subpackages). */
    private static boolean isAllowed(String[] parts) {
        if (isClassName(parts[0])) {
            return true;
        }
        return (parts[0].equals("volume") || parts[0].equals("block")) && (parts.length == 1 || isClassName(parts[1]));
    }

    private static boolean isClassName(String part) {
        return !part.isEmpty() && Character.isUpperCase(part.charAt(0));
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
