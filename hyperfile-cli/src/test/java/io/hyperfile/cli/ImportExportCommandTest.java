package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err, byte[] stdout) {
    }

    @AfterEach
    void restoreStdio() {
        Stdio.use(null, null);
    }

    private Result run(byte[] stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        Stdio.use(new ByteArrayInputStream(stdin == null ? new byte[0] : stdin), binary);
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString(), binary.toByteArray());
    }

    private String store() {
        return "--store=file:" + dir.resolve("data");
    }

    private static byte[] image(int seed, int bytes) {
        Random rnd = new Random(seed);
        byte[] image = new byte[bytes];
        for (int at = 0; at < image.length; at += 96 << 10) { // data with holes between
            byte[] part = new byte[Math.min(20 << 10, image.length - at)];
            rnd.nextBytes(part);
            System.arraycopy(part, 0, image, at, part.length);
        }
        return image;
    }

    /** The first instant of a millisecond after {@code t}'s, once the system clock has reached it. */
    private static java.time.Instant nextMilli(java.time.Instant t) {
        java.time.Instant now;
        do {
            now = java.time.Instant.now();
        } while (now.toEpochMilli() <= t.toEpochMilli());
        return java.time.Instant.ofEpochMilli(now.toEpochMilli());
    }

    @Test
    void standardInputIntoANewVolumeNeedsASizeAndExportsToStandardOutputByteForByte() {
        byte[] image = image(1, (1 << 20) + 1000); // not a whole number of blocks
        Result noSize = run(image, "import", "-", "pipe", store());
        assertEquals(2, noSize.code, noSize.err);
        assertTrue(noSize.err.startsWith("hyperfile: volume pipe does not exist: importing standard input needs --size"), noSize.err);

        Result imported = run(image, "import", "-", "pipe", "--size", "2M", "--quiet", store());
        assertEquals(0, imported.code, imported.err);
        assertTrue(imported.out.startsWith("imported standard input (1.0 MiB) into pipe"), imported.out);
        assertEquals("", imported.err, "--quiet: no progress");

        Result exported = run(null, "export", "pipe", "-", store());
        assertEquals(0, exported.code, exported.err);
        assertEquals("", exported.out, "nothing but the image on standard output");
        assertTrue(exported.err.contains("exported pipe to standard output"), exported.err);
        assertTrue(exported.err.contains("exporting pipe: "), "progress on stderr: " + exported.err);
        byte[] expected = Arrays.copyOf(image, 2 << 20);
        assertEquals(expected.length, exported.stdout.length);
        assertArrayEquals(expected, exported.stdout);
    }

    @Test
    void anImageEndingInAPartialBlockIsImportedToItsLastByteIntoACompressedVolume() throws Exception {
        Random rnd = new Random(9);
        byte[] image = new byte[(3 << 20) + 1000]; // the last chunk ends inside a block, and every block holds data
        for (int i = 0; i < image.length; i++) {
            image[i] = i % 3 == 0 ? (byte) rnd.nextInt() : (byte) (i / 4096); // compressible, never all zero
        }
        java.nio.file.Path file = dir.resolve("odd.img");
        java.nio.file.Files.write(file, image);
        Result noCodec = run(null, "volume", "create", "odd", "--size", "4M", "--frame-size", "32K", store());
        assertEquals(2, noCodec.code);
        assertTrue(noCodec.err.startsWith("hyperfile: --frame-size applies to compressed volumes"), noCodec.err);
        Result badFrame = run(null, "volume", "create", "odd", "--size", "4M", "--compression", "lz4", "--frame-size", "3K",
                store());
        assertEquals(2, badFrame.code);
        assertTrue(badFrame.err.startsWith("hyperfile: invalid --frame-size 3K: use a power of two from 4K to 1M"), badFrame.err);
        Result created = run(null, "volume", "create", "odd", "--size", "4M", "--compression", "zstd:5", "--frame-size", "32K",
                store());
        assertEquals(0, created.code, created.err);
        Result imported = run(null, "import", file.toString(), "odd", "-q", store());
        assertEquals(0, imported.code, imported.err);
        byte[] exported = run(null, "export", "odd", "-", "-q", store()).stdout;
        assertArrayEquals(image, Arrays.copyOf(exported, image.length), "every byte, the partial block's too");
        Result info = run(null, "volume", "info", "odd", store());
        assertTrue(info.out.contains("compression:     zstd:5 in frames of 32 KiB"), info.out);
        java.util.regex.Matcher ratio = java.util.regex.Pattern.compile("data ratio:      ([0-9.]+) ").matcher(info.out);
        assertTrue(ratio.find(), info.out);
        assertTrue(Double.parseDouble(ratio.group(1)) < 0.9, "a third of the bytes random, the rest repeats: " + info.out);
        Result fsck = run(null, "fsck", "odd", store());
        assertEquals(0, fsck.code, fsck.out + fsck.err);
    }

    @Test
    void aVolumeWithSmallIndexNodesHoldsAScatteredImage() throws Exception {
        for (String bad : new String[] {"3K", "512", "128K"}) {
            Result refused = run(null, "volume", "create", "nodes", "--size", "4M", "--index-node-size", bad, store());
            assertEquals(2, refused.code, refused.err);
            assertTrue(refused.err.startsWith("hyperfile: invalid --index-node-size " + bad
                    + ": use a power of two from 1K to 64K\n"), refused.err);
        }
        // Data in every other block and zeros between (which import maps as zero extents): 1,024 extents, which 1 KiB
        // nodes (up to 40 per leaf) spread over dozens of leaves under internal nodes.
        Random rnd = new Random(11);
        byte[] image = new byte[4 << 20];
        for (int at = 0; at < image.length; at += 8192) {
            byte[] block = new byte[4096];
            rnd.nextBytes(block);
            System.arraycopy(block, 0, image, at, block.length);
        }
        java.nio.file.Path file = dir.resolve("scattered.img");
        java.nio.file.Files.write(file, image);
        Result created = run(null, "volume", "create", "nodes", "--size", "4M", "--index-node-size", "1K", store());
        assertEquals(0, created.code, created.err);
        assertEquals(0, run(null, "import", file.toString(), "nodes", "-q", store()).code);
        assertArrayEquals(image, run(null, "export", "nodes", "-", "-q", store()).stdout);
        Result info = run(null, "volume", "info", "nodes", store());
        assertTrue(info.out.contains("index nodes:     up to 1 KiB"), info.out);
        assertTrue(info.out.contains("extents:         1024"), info.out);
        Result fsck = run(null, "fsck", "nodes", store());
        assertEquals(0, fsck.code, fsck.out + fsck.err);
    }

    @Test
    void standardInputStreamsIntoAnExistingVolumeAndRefusesMoreThanFits() {
        assertEquals(0, run(null, "volume", "create", "v", "--size", "1M", store()).code);
        byte[] first = image(2, 1 << 20);
        assertEquals(0, run(first, "import", "-", "v", "-q", store()).code);
        byte[] part = image(3, 300 << 10);
        Result second = run(part, "import", "-", "v", "-q", store());
        assertEquals(0, second.code, second.err);
        byte[] expected = first.clone();
        System.arraycopy(part, 0, expected, 0, part.length);
        assertArrayEquals(expected, run(null, "export", "v", "-", "-q", store()).stdout, "beyond the input stays as it was");

        Result tooBig = run(new byte[(1 << 20) + 4096], "import", "-", "v", "-q", store());
        assertEquals(1, tooBig.code);
        assertTrue(tooBig.err.startsWith("hyperfile: the input is larger than volume v (1048576 bytes)"), tooBig.err);
    }

    @Test
    void exportsSnapshotsAndPastCheckpointsBySeqAndTime() throws Exception {
        byte[] a = image(4, 1 << 20);
        Path in = dir.resolve("a.img");
        Files.write(in, a);
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);
        Result snap = run(null, "snapshot", "create", "vol", "a", store());
        Matcher m = Pattern.compile("at checkpoint (\\d+)").matcher(snap.out);
        assertTrue(m.find(), snap.out);
        long seqA = Long.parseLong(m.group(1));
        // Footer times have millisecond resolution: take a time strictly after a's checkpoints and before b's.
        java.time.Instant betweenAandB = nextMilli(java.time.Instant.now());
        nextMilli(betweenAandB);

        byte[] b = image(5, 1 << 20);
        Files.write(in, b);
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);

        Path out = dir.resolve("out.img");
        assertEquals(0, run(null, "export", "vol@a", out.toString(), "-q", store()).code);
        assertArrayEquals(a, Files.readAllBytes(out));
        assertArrayEquals(a, run(null, "export", "vol@seq:" + seqA, "-", "-q", store()).stdout);
        assertArrayEquals(a, run(null, "export", "vol@time:" + betweenAandB, "-", "-q", store()).stdout);
        assertArrayEquals(b, run(null, "export", "vol", "-", "-q", store()).stdout);
        assertArrayEquals(new byte[1 << 20], run(null, "export", "vol@seq:0", "-", "-q", store()).stdout);

        Result missing = run(null, "export", "vol@seq:999", "-", store());
        assertEquals(1, missing.code);
        assertTrue(missing.err.startsWith("hyperfile: no checkpoint vol@seq:999 (never written, or deleted by garbage collection)"),
                missing.err);
        Result badRef = run(null, "export", "vol@seq:x", "-", store());
        assertEquals(2, badRef.code);
        assertTrue(badRef.err.startsWith("hyperfile: bad checkpoint seq in 'vol@seq:x'"), badRef.err);
    }

    @Test
    void snapshotCreatePinsAPastCheckpoint() throws Exception {
        byte[] a = image(6, 512 << 10);
        Path in = dir.resolve("a.img");
        Files.write(in, a);
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);
        Matcher m = Pattern.compile("checkpoint (\\d+)").matcher(run(null, "snapshot", "create", "vol", "tmp", store()).out);
        assertTrue(m.find());
        long seqA = Long.parseLong(m.group(1));
        assertEquals(0, run(null, "snapshot", "delete", "vol", "tmp", store()).code);
        Files.write(in, image(7, 512 << 10));
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);

        Result pinned = run(null, "snapshot", "create", "vol@seq:" + seqA, "past", store());
        assertEquals(0, pinned.code, pinned.err);
        assertEquals("created snapshot vol@past at checkpoint " + seqA + " (vol@seq:" + seqA + ")", pinned.out.trim());
        assertArrayEquals(a, run(null, "export", "vol@past", "-", "-q", store()).stdout);
        Result again = run(null, "snapshot", "create", "vol@past", "copy", store());
        assertEquals(0, again.code, again.err);
        assertTrue(run(null, "snapshot", "list", "vol", store()).out.contains("vol@copy\tcheckpoint " + seqA), "same checkpoint");

        Result gone = run(null, "snapshot", "create", "vol@seq:999", "x", store());
        assertEquals(1, gone.code);
        assertTrue(gone.err.startsWith("hyperfile: no checkpoint vol@seq:999 (never written, or deleted by garbage collection)"), gone.err);
        assertTrue(!run(null, "snapshot", "list", "vol", store()).out.contains("vol@x"), "nothing pinned");
    }

    @Test
    void volumeRollbackToASnapshotAndUndo() throws Exception {
        byte[] a = image(8, 512 << 10);
        byte[] b = image(9, 512 << 10);
        Path in = dir.resolve("a.img");
        Files.write(in, a);
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);
        assertEquals(0, run(null, "snapshot", "create", "vol", "a", store()).code);
        Files.write(in, b);
        assertEquals(0, run(null, "import", in.toString(), "vol", "-q", store()).code);

        Result rolled = run(null, "volume", "rollback", "vol", "a", store());
        assertEquals(0, rolled.code, rolled.err);
        Matcher m = Pattern.compile("^rolled back vol to vol@a \\(checkpoint \\d+, 512 KiB\\) as checkpoint (\\d+); undo:"
                + " hyperfile volume rollback vol @seq:(\\d+)$").matcher(rolled.out.trim());
        assertTrue(m.matches(), rolled.out);
        assertArrayEquals(a, run(null, "export", "vol", "-", "-q", store()).stdout, "the volume reads as snapshot a");

        Result undo = run(null, "volume", "rollback", "vol", "@seq:" + m.group(2), store());
        assertEquals(0, undo.code, undo.err);
        assertArrayEquals(b, run(null, "export", "vol", "-", "-q", store()).stdout, "undone");
        assertArrayEquals(a, run(null, "export", "vol@seq:" + m.group(1), "-", "-q", store()).stdout, "the rollback checkpoint");

        Result missing = run(null, "volume", "rollback", "vol", "@seq:999", store());
        assertEquals(1, missing.code);
        assertTrue(missing.err.startsWith("hyperfile: no checkpoint vol@seq:999"), missing.err);
        Matcher newest = Pattern.compile("as checkpoint (\\d+);").matcher(undo.out);
        assertTrue(newest.find());
        Result same = run(null, "volume", "rollback", "vol", "seq:" + newest.group(1), store());
        assertEquals(1, same.code);
        assertEquals("hyperfile: cannot roll back vol to vol@seq:" + newest.group(1) + ": checkpoint " + newest.group(1)
                + " is the newest already: nothing to roll back", same.err.trim());
    }
}
