package io.hyperfile.cli.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Files of random content with their SHA-256, written into a mounted file system and checked later. */
final class FileTree {
    private static final int CHUNK_BYTES = 1 << 20;

    private FileTree() {
    }

    /**
     * Writes files totalling at least {@code totalBytes} under {@code root}: a mix of large (8 MiB), medium and small
     * files in a few directories. Returns relative path → SHA-256 (hex).
     */
    static Map<String, String> write(Path root, long totalBytes, SplittableRandom random) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        long written = 0;
        for (int i = 0; written < totalBytes; i++) {
            int kind = random.nextInt(10);
            long size = kind < 3 ? 8L << 20 : kind < 7 ? random.nextLong(256 << 10, 2 << 20) : random.nextLong(1, 64 << 10);
            String name = String.format("d%02d/f%05d.bin", i % 8, i);
            sums.put(name, writeFile(root.resolve(name), size, random, false));
            written += size;
        }
        return sums;
    }

    /** Writes {@code size} random bytes to {@code file} (creating its directory), optionally fsyncs; returns the SHA-256. */
    static String writeFile(Path file, long size, SplittableRandom random, boolean fsync) throws IOException {
        Files.createDirectories(file.getParent());
        MessageDigest sha = sha256();
        byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, size)];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long left = size; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                random.nextBytes(chunk);
                sha.update(chunk, 0, n);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                left -= n;
            }
            if (fsync) {
                ch.force(true);
            }
        }
        if (fsync) {
            fsyncDirectory(file.getParent());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** fsync of a file, then of its directory: both its content and its name are durable when this returns. */
    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        fsyncDirectory(file.getParent());
    }

    /** fsync of a directory, so that the names in it are durable. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Every file of {@code sums} under {@code root} whose content is missing or differs, as readable lines. */
    static List<String> mismatches(Path root, Map<String, String> sums) {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, String> e : sums.entrySet()) {
            Path file = root.resolve(e.getKey());
            try {
                String actual = sha256Of(file);
                if (!actual.equals(e.getValue())) {
                    bad.add(e.getKey() + ": sha256 " + actual + ", expected " + e.getValue());
                }
            } catch (IOException ex) {
                bad.add(e.getKey() + ": " + ex);
            }
        }
        return bad;
    }

    /**
     * Cuts {@code file} into 8 equal parts (whole 4 KiB blocks; the tail past the last part stays) and punches a hole
     * ({@code fallocate --punch-hole}) in 5 of them: the file keeps its size, those parts read as zeroes, and the file
     * system frees their blocks. Returns the bytes punched (0 for a file under 32 KiB).
     */
    static long punchHoles(Path file) throws IOException, InterruptedException {
        long part = Files.size(file) / 8 / 4096 * 4096;
        if (part == 0) {
            return 0;
        }
        for (int i : new int[] {1, 2, 4, 5, 7}) {
            Commands.run(60, "fallocate", "--punch-hole", "--offset", Long.toString(i * part), "--length",
                    Long.toString(part), file.toString()).orThrow();
        }
        return 5 * part;
    }

    static String sha256Of(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[CHUNK_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Bytes in use in the file system mounted at {@code root} (as df counts them). */
    static long usedBytes(Path root) throws IOException {
        FileStore fs = Files.getFileStore(root);
        return fs.getTotalSpace() - fs.getUnallocatedSpace();
    }

    static long totalBytes(Path root, Map<String, String> sums) throws IOException {
        long total = 0;
        for (String name : sums.keySet()) {
            total += Files.size(root.resolve(name));
        }
        return total;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
