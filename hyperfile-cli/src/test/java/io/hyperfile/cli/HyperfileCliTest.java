package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HyperfileCliTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private String store() {
        return "--store=file:" + dir.resolve("data");
    }

    @Test
    void volumeLifecycle() {
        Result created = run("volume", "create", "disk1", "--size", "512M", store());
        assertEquals(0, created.code, created.err);
        assertTrue(created.out.contains("created volume disk1 (512 MiB)"), created.out);
        assertEquals(0, run("volume", "create", "disk2", "--size", "1G", store()).code);

        Result list = run("volume", "list", store());
        assertEquals(0, list.code, list.err);
        assertTrue(list.out.matches("(?s)disk1\\s+512 MiB\\s+disk2\\s+1 GiB\\s*"), list.out);

        Result info = run("volume", "info", "disk2", store());
        assertEquals(0, info.code, info.err);
        assertTrue(info.out.contains("size:            1 GiB (1073741824 bytes)"), info.out);
        assertTrue(info.out.contains("block size:      4096"), info.out);

        Result deleted = run("volume", "delete", "disk1", store());
        assertEquals(0, deleted.code, deleted.err);
        assertTrue(run("volume", "list", store()).out.startsWith("disk2"));
    }

    @Test
    void aBadArgumentIsOneLinePlusUsageAndExitTwo() {
        Result r = run("volume", "create", "x", "--size", "10X", store());
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("hyperfile: invalid size '10X'"), r.err);
        assertTrue(r.err.contains("Usage: hyperfile volume create"), r.err);
        assertTrue(!r.err.contains("\tat "), "no stack trace: " + r.err);

        Result missing = run("volume", "create", "x", store());
        assertEquals(2, missing.code);
        assertTrue(missing.err.startsWith("Missing required option: '--size=SIZE'"), missing.err);

        Result badName = run("volume", "create", "../x", "--size", "1G", store());
        assertEquals(2, badName.code);
        assertTrue(badName.err.startsWith("hyperfile: invalid volume name '../x'"), badName.err);

        Result badStore = run("volume", "list", "--store=ftp://x");
        assertEquals(2, badStore.code);
        assertTrue(badStore.err.startsWith("hyperfile: invalid store 'ftp://x'"), badStore.err);

        Result badListen = run("serve", "--listen", "localhost", store());
        assertEquals(2, badListen.code);
        assertTrue(badListen.err.startsWith("hyperfile: invalid --listen 'localhost'"), badListen.err);
    }

    @Test
    void aMissingVolumeIsOneClearLineAndExitOne() {
        Result r = run("volume", "info", "nope", store());
        assertEquals(1, r.code);
        assertEquals("hyperfile: no volume named nope in file:" + dir.resolve("data") + System.lineSeparator(), r.err);
        Result exists = run("volume", "create", "v", "--size", "1M", store());
        assertEquals(0, exists.code);
        Result again = run("volume", "create", "v", "--size", "1M", store());
        assertEquals(1, again.code);
        assertTrue(again.err.startsWith("hyperfile: object already exists: v/volume"), again.err);
    }

    @Test
    void sizesParse() {
        assertEquals(10L << 30, Sizes.parse("10G"));
        assertEquals(512L << 20, Sizes.parse("512M"));
        assertEquals(1L << 40, Sizes.parse("1T"));
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(2L << 30, Sizes.parse("2GiB"));
        assertEquals("10 GiB", Sizes.format(10L << 30));
        assertEquals("1.5 KiB", Sizes.format(1536));
    }

    @Test
    void importExportSnapshotAndFsck() throws Exception {
        java.util.Random rnd = new java.util.Random(9);
        byte[] image = new byte[3 << 20];
        for (int at = 0; at < image.length; at += 256 << 10) {
            byte[] part = new byte[16 << 10];
            rnd.nextBytes(part);
            System.arraycopy(part, 0, image, at, part.length);
        }
        Path in = dir.resolve("in.img");
        java.nio.file.Files.write(in, image);
        Result imported = run("import", in.toString(), "img", store());
        assertEquals(0, imported.code, imported.err);

        Result snap = run("snapshot", "create", "img", "first", store());
        assertEquals(0, snap.code, snap.err);
        assertTrue(snap.out.startsWith("created snapshot img@first at checkpoint "), snap.out);
        assertTrue(run("snapshot", "list", "img", store()).out.startsWith("img@first\tcheckpoint "));

        Path out = dir.resolve("out.img");
        Result exported = run("export", "img", out.toString(), store());
        assertEquals(0, exported.code, exported.err);
        byte[] back = java.nio.file.Files.readAllBytes(out);
        assertEquals(image.length, back.length);
        assertTrue(java.util.Arrays.equals(image, back), "export differs from the imported image");

        Result fsck = run("fsck", "img", store());
        assertEquals(0, fsck.code, fsck.out + fsck.err);
        assertTrue(fsck.out.trim().endsWith(": clean"), fsck.out);

        // Damage one byte of the data segment (the largest; the first is the empty claim written at open): fsck
        // says where and exits 3.
        Path seg;
        try (var files = java.nio.file.Files.walk(dir.resolve("data/img/seg"))) {
            seg = files.filter(java.nio.file.Files::isRegularFile)
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(seg);
        bytes[100] ^= 1;
        java.nio.file.Files.write(seg, bytes);
        Result bad = run("fsck", "img", store());
        assertEquals(3, bad.code, bad.out + bad.err);
        assertTrue(bad.out.lines().anyMatch(l -> l.startsWith("problem: ") && l.contains(" img/seg/")), bad.out);

        assertEquals(0, run("snapshot", "delete", "img", "first", store()).code);
        assertEquals(1, run("snapshot", "delete", "img", "first", store()).code);
    }

    @Test
    void volumeDuAndFsckReportGarbageWithoutFailing() throws Exception {
        Path in = dir.resolve("in.img");
        java.nio.file.Files.write(in, randomBytes(1 << 20));
        assertEquals(0, run("import", in.toString(), "du", store()).code);
        assertEquals(0, run("import", in.toString(), "du", store()).code); // overwrites every block

        Result du = run("volume", "du", "du", store());
        assertEquals(0, du.code, du.out + du.err);
        long stored;
        try (var files = java.nio.file.Files.walk(dir.resolve("data/du"))) {
            stored = files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(du.out.contains("logical size:    1 MiB (1048576 bytes)"), du.out);
        Result info = run("volume", "info", "du", store());
        assertTrue(info.out.contains("stored:          " + Sizes.format(stored) + " (" + stored + " bytes) in "), info.out);
        assertTrue(du.out.contains("mapped:          1 MiB (1048576 bytes)"), du.out);
        assertTrue(du.out.contains("(" + stored + " bytes) in "), "stored is every object of the volume: " + du.out);
        long live = figure(du.out, "live:");
        long garbage = figure(du.out, "garbage:");
        assertEquals(stored, live + garbage, du.out);
        long slots = 256L * (4096 + 4);
        assertTrue(live >= slots && live < slots + 64 * 1024, "live is the second import's blocks and index: " + du.out);
        assertTrue(garbage >= slots, "the first import's blocks are garbage: " + du.out);

        Result json = run("volume", "du", "du", "--json", store());
        assertEquals(0, json.code, json.err);
        assertTrue(json.out.startsWith("{\"volume\":\"du\",\"logicalSizeBytes\":1048576,\"mappedBytes\":1048576,\"liveBytes\":"
                + live + ",\"storedBytes\":" + stored + ","), json.out);
        assertTrue(json.out.contains("\"garbageBytes\":" + garbage + ","), json.out);
        assertTrue(json.out.trim().endsWith("\"problems\":0}"), json.out);

        Result fsck = run("fsck", "du", store());
        assertEquals(0, fsck.code, fsck.out + fsck.err);
        assertTrue(fsck.out.contains("garbage (not a problem): "), fsck.out);
        assertTrue(fsck.out.contains("live " + Sizes.format(live) + " (" + live + " bytes)"), fsck.out);
        assertTrue(fsck.out.trim().endsWith(": clean"), fsck.out);

        assertEquals(1, run("volume", "du", "nope", store()).code);
    }

    /** The exact byte count on the line starting with {@code label}: "label  1.5 MiB (1572864 bytes)...". */
    private static long figure(String out, String label) {
        String line = out.lines().filter(l -> l.startsWith(label)).findFirst().orElseThrow(() -> new AssertionError(label + " in " + out));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\((\\d+) bytes\\)").matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
    }

    @Test
    void everyCommandHasHelpAndACompletionScriptIsGenerated() {
        for (String[] cmd : new String[][] {{"--help"}, {"serve", "--help"}, {"volume", "--help"}, {"volume", "create", "--help"}, {"volume", "du", "--help"},
                {"snapshot", "--help"}, {"fsck", "--help"}, {"import", "--help"}, {"export", "--help"}}) {
            Result r = run(cmd);
            assertEquals(0, r.code, String.join(" ", cmd) + ": " + r.err);
            assertTrue(r.out.startsWith("Usage: hyperfile"), r.out);
        }
        Result completion = run("generate-completion");
        assertEquals(0, completion.code, completion.err);
        assertTrue(completion.out.contains("complete -F"), completion.out.substring(0, Math.min(200, completion.out.length())));
    }

    @Test
    void anUnusableStoreIsOneClearLineAndExitOne() {
        Result r = run("volume", "list", "--store=file:/proc/hyperfile-cannot-exist/x");
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("hyperfile: cannot create store directory /proc/hyperfile-cannot-exist/x"), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
    }

    @Test
    void aVolumeLargerThanTheIndexAddressesIsOneLinePlusUsageAndNothingIsCreated() {
        Result r = run("volume", "create", "huge", "--size", "2048P", store());
        assertEquals(2, r.code, r.err);
        assertTrue(r.err.startsWith("hyperfile: size 2048P is too large for blocks of 4096 bytes: at most 1024 PiB (the index"
                + " addresses 2^48 blocks); use a larger --block-size" + System.lineSeparator() + "Usage: hyperfile volume create"), r.err);
        assertEquals("", run("volume", "list", store()).out);
        Result larger = run("volume", "create", "huge", "--size", "2048P", "--block-size", "65536", store());
        assertEquals(0, larger.code, larger.err);
    }

    @Test
    void aHalfDeletedVolumeCanBeDeleted() throws Exception {
        Path in = dir.resolve("in.img");
        java.nio.file.Files.write(in, randomBytes(1 << 20));
        assertEquals(0, run("import", in.toString(), "half", store()).code);
        java.nio.file.Files.delete(dir.resolve("data/half/volume")); // a delete interrupted after its first step
        assertEquals(1, run("volume", "info", "half", store()).code);

        Result deleted = run("volume", "delete", "half", store());
        assertEquals(0, deleted.code, deleted.err);
        assertTrue(deleted.out.contains("deleted volume half"), deleted.out);
        try (var left = java.nio.file.Files.walk(dir.resolve("data"))) {
            assertEquals(0, left.filter(java.nio.file.Files::isRegularFile).count(), "every object of the volume is gone");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void serveExitsOneWithOneLineWhenNoNamedVolumeCanEverBeServed() throws Exception {
        Path in = dir.resolve("in.img");
        java.nio.file.Files.write(in, randomBytes(1 << 20));
        assertEquals(0, run("import", in.toString(), "bad", store()).code);
        garbleNewestSegmentFooter(dir.resolve("data"), "bad");

        Result r = run("serve", "--listen", "127.0.0.1:0", "bad", "nope", store());
        assertEquals(1, r.code, r.out + r.err);
        List<String> lines = r.err.lines().filter(l -> l.startsWith("hyperfile: ")).toList();
        assertEquals(3, lines.size(), r.err);
        assertTrue(lines.contains("hyperfile: cannot serve volume nope: it has no volume descriptor nope/volume (no such volume,"
                + " or a half-deleted one)"), r.err);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("hyperfile: cannot serve volume bad: corrupt data in bad/seg/")), r.err);
        assertEquals("hyperfile: none of the 2 volumes can be served (see above)", lines.get(2));
        assertEquals("", r.out, "no 'serving' line");
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }

    /** Flips the last byte of the volume's newest segment (in its footer), so that opening the volume fails. */
    static void garbleNewestSegmentFooter(Path data, String volume) throws java.io.IOException {
        Path seg;
        try (var files = java.nio.file.Files.walk(data.resolve(volume).resolve("seg"))) {
            seg = files.filter(java.nio.file.Files::isRegularFile).max(Path::compareTo).orElseThrow();
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(seg);
        bytes[bytes.length - 1] ^= 0x5a;
        java.nio.file.Files.write(seg, bytes);
    }
}
