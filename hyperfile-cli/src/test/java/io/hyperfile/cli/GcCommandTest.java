package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile gc} in process on a local-directory store holding a volume with garbage of both kinds: segments
 * nothing references any more (fully overwritten data, the empty claim segments of earlier opens) and a segment that
 * is three quarters dead, which only compaction frees.
 */
class GcCommandTest {
    private static final long SIZE = 16L << 20;
    private static final int CHUNK = 64 << 10;

    @TempDir
    Path dir;
    private ObjectStore store;
    /** What the volume holds, byte for byte. */
    private final byte[] model = new byte[(int) SIZE];
    /** The segment holding the data of which three quarters are overwritten later. */
    private long mostlyDeadSeq;

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Arrays.stream(args), Stream.of(storeArg()))
                .toArray(String[]::new);
        int code = Hyperfile.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private String storeArg() {
        return "--store=file:" + dir.resolve("data");
    }

    @BeforeEach
    void volumeWithGarbage() {
        store = StoreStack.localDirectory(dir.resolve("data")).open();
        VolumeCatalog catalog = new VolumeCatalog(store);
        catalog.create("v", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        Random rnd = new Random(42);
        Volume v = catalog.open("v", VolumeConfig.DEFAULT).join();
        try {
            write(v, rnd, 0, 4 << 20, 1);
            v.flush().join();
            mostlyDeadSeq = v.durableSeq().join();
            write(v, rnd, 0, 4 << 20, 4); // three chunks of every four: segment mostlyDeadSeq is 3/4 dead
            v.flush().join();
            write(v, rnd, 8 << 20, 1 << 20, 1);
            v.flush().join();
            write(v, rnd, 8 << 20, 1 << 20, 1); // the segment before is now unreferenced
            v.flush().join();
        } finally {
            v.close().join();
        }
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** Writes random chunks over {@code [offset, offset + length)}, skipping every {@code skipEvery}-th if above 1. */
    private void write(Volume v, Random rnd, int offset, int length, int skipEvery) {
        for (int at = offset, i = 0; at < offset + length; at += CHUNK, i++) {
            if (skipEvery > 1 && i % skipEvery == 0) {
                continue;
            }
            byte[] data = new byte[CHUNK];
            rnd.nextBytes(data);
            System.arraycopy(data, 0, model, at, CHUNK);
            v.write(at, ByteBuffer.wrap(data)).join();
        }
    }

    private SpaceReport measure() {
        return SpaceAccounting.measure(store, "v/").join();
    }

    private boolean exists(long seq) {
        return store.listAll("v/", null).join().stream().anyMatch(o -> o.key().equals(SegmentKeys.segment("v/", seq)));
    }

    private byte[] content() {
        Volume v = new VolumeCatalog(store).openNewestReadOnly("v", VolumeConfig.DEFAULT).join();
        try {
            ByteBuffer all = ByteBuffer.allocate((int) SIZE);
            v.read(0, all).join();
            return all.array();
        } finally {
            v.close().join();
        }
    }

    @Test
    void deletesUnreferencedSegmentsAndCompactsWithoutChangingTheContent() {
        SpaceReport before = measure();
        assertTrue(before.garbageBytes() > 4L << 20, "the set-up leaves garbage: " + before);
        assertTrue(exists(mostlyDeadSeq));

        Result r = run("gc", "v", "--grace", "0");
        assertEquals(0, r.code, r.out + r.err);
        assertTrue(r.out.startsWith("pass 1/2: deleted "), r.out);
        assertTrue(r.out.contains("compacted 1 segments"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("before: stored ")), r.out);
        assertTrue(r.err.lines().anyMatch(l -> l.startsWith("gc v pass 1/2: walked ")), r.err);

        SpaceReport after = measure();
        assertTrue(after.storedBytes() < before.storedBytes(), before.storedBytes() + " -> " + after.storedBytes());
        assertTrue(after.garbageBytes() < (1 << 20), "garbage left: " + after.garbageBytes());
        assertFalse(exists(mostlyDeadSeq), "the compacted segment was deleted by the second pass");
        assertTrue(r.out.contains("after:  stored " + VolumeDuCommand.bytes(after.storedBytes()) + ", live "), r.out);
        assertArrayEquals(model, content(), "the volume reads the same after gc");

        Result fsck = run("fsck", "v");
        assertEquals(0, fsck.code, fsck.out + fsck.err);
    }

    @Test
    void aDryRunPlansButChangesNothing() {
        List<ObjectInfo> before = store.listAll("v/", null).join();

        Result r = run("gc", "v", "--grace", "0", "--dry-run");
        assertEquals(0, r.code, r.out + r.err);
        assertTrue(r.out.startsWith("pass 1/1: would delete "), r.out);
        assertTrue(r.out.contains("would compact 1 segments"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("now:    stored ")), r.out);

        assertEquals(before, store.listAll("v/", null).join(), "not one object written, changed or deleted");
        assertArrayEquals(model, content());
    }

    @Test
    void jsonPrintsTheLastPassAndTheSpaceBeforeAndAfter() {
        SpaceReport before = measure();
        Result r = run("gc", "v", "--grace", "0", "--json", "--passes", "1", "--rate", "64M/s", "--max-move", "1G");
        assertEquals(0, r.code, r.out + r.err);
        assertEquals(1, r.out.lines().count(), r.out);
        String json = r.out.trim();
        assertTrue(json.startsWith("{\"volume\":\"v\",\"dryRun\":false,"), json);
        assertTrue(json.contains(",\"victims\":1,"), json);
        // "before" is the first pass's walk: after gc opened the volume, which added its claim segment.
        Matcher m = Pattern.compile(",\"before\":\\{\"storedBytes\":(\\d+),\"liveBytes\":\\d+,"
                + "\"garbageBytes\":(\\d+),\"segments\":(\\d+)}").matcher(json);
        assertTrue(m.find(), json);
        assertEquals(before.segmentCount() + 1, Long.parseLong(m.group(3)), json);
        assertTrue(Long.parseLong(m.group(1)) > before.storedBytes() && Long.parseLong(m.group(1)) < before.storedBytes() + 4096, json);
        assertEquals(before.garbageBytes(), Long.parseLong(m.group(2)), "the claim segment is live: " + json);
        SpaceReport after = measure();
        assertTrue(json.endsWith(",\"after\":{\"storedBytes\":" + after.storedBytes() + ",\"liveBytes\":"
                + after.liveBytes() + ",\"garbageBytes\":" + after.garbageBytes() + ",\"segments\":"
                + after.segmentCount() + "}}"), json + " vs " + after);
        assertTrue(r.err.contains("pass 1/1: deleted "), "the summary goes to stderr: " + r.err);
    }

    @Test
    void aLaterRunPlansFromTheStoredLiveTableAndCheckWalksAndComparesIt() {
        Result first = run("gc", "v", "--grace", "0", "--json");
        assertEquals(0, first.code, first.out + first.err);
        assertTrue(first.out.contains(",\"fromTable\":"), first.out);
        Volume v = new VolumeCatalog(store).open("v", VolumeConfig.DEFAULT).join();
        try {
            write(v, new Random(7), 0, 2 << 20, 3);
        } finally {
            v.close().join();
        }

        Result planned = run("gc", "v", "--grace", "0", "--json", "--passes", "1");
        assertEquals(0, planned.code, planned.out + planned.err);
        assertTrue(planned.err.contains("pass 1/1: loaded the stored live table"), planned.err);
        assertTrue(planned.out.contains(",\"fromTable\":true,\"tableChecked\":false,"), planned.out);

        Result checked = run("gc", "v", "--grace", "0", "--json", "--passes", "1", "--check");
        assertEquals(0, checked.code, checked.out + checked.err);
        assertTrue(checked.err.contains("pass 1/1: walked "), checked.err);
        assertTrue(checked.out.contains(",\"fromTable\":false,\"tableChecked\":true,\"tableDifferences\":0,"),
                checked.out);
        assertFalse(checked.err.contains("warning"), checked.err);
        assertArrayEquals(model, content());
        assertEquals(0, run("fsck", "v").code);
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() {
        List<String[]> bad = List.of(
                new String[] {"--grace", "5x"},
                new String[] {"--grace", "10"},
                new String[] {"--compact-below", "1.5"},
                new String[] {"--min-garbage", "-0.1"},
                new String[] {"--max-move", "lots"},
                new String[] {"--rate", "fast"},
                new String[] {"--passes", "0"});
        List<String> expected = List.of(
                "hyperfile: invalid --grace '5x': use 0 or a number with ms, s, m, h or d (e.g. 30s, 10m, 1h)",
                "hyperfile: invalid --grace '10': use 0 or a number with ms, s, m, h or d (e.g. 30s, 10m, 1h)",
                "hyperfile: invalid --compact-below 1.5: must be between 0 and 1, e.g. 0.5",
                "hyperfile: invalid --min-garbage -0.1: must be between 0 and 1, e.g. 0.5",
                "hyperfile: invalid --max-move 'lots': use bytes or a number with K, M, G, T (e.g. 256M)",
                "hyperfile: invalid --rate 'fast': use 0 (no limit) or bytes per second, e.g. 32M or 32M/s",
                "hyperfile: invalid --passes 0: must be at least 1");
        List<ObjectInfo> objects = store.listAll("v/", null).join();
        for (int i = 0; i < bad.size(); i++) {
            Result r = run("gc", "v", bad.get(i)[0], bad.get(i)[1]);
            assertEquals(2, r.code, r.err);
            assertEquals(expected.get(i), r.err.lines().findFirst().orElse(""));
            assertTrue(r.err.contains("Usage: hyperfile gc"), r.err);
            assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
        }
        assertEquals(objects, store.listAll("v/", null).join(), "a bad argument opens nothing");
    }

    @Test
    void aMissingVolumeIsOneLineAndExitOne() {
        Result r = run("gc", "nope", "--grace", "0");
        assertEquals(1, r.code);
        assertEquals("hyperfile: no volume named nope in file:" + dir.resolve("data") + System.lineSeparator(), r.err);
        assertEquals("", r.out);
    }

    @Test
    void aMissingReferencedSegmentStopsThePassAndExitsThree() throws Exception {
        Files.delete(dir.resolve("data").resolve(SegmentKeys.segment("v/", mostlyDeadSeq)));
        List<String> keysBefore = store.listAll("v/", null).join().stream().map(ObjectInfo::key).toList();

        Result r = run("gc", "v", "--grace", "0");
        assertEquals(3, r.code, r.out + r.err);
        assertTrue(r.out.startsWith("pass 1/2: deleted 0 segments (0 bytes);"), r.out);
        assertTrue(r.out.contains("nothing deleted or moved: the walk found "), r.out);
        assertTrue(r.err.lines().anyMatch(l -> l.startsWith("problem: ")), r.err);
        List<String> keysAfter = store.listAll("v/", null).join().stream().map(ObjectInfo::key).toList();
        assertTrue(keysAfter.containsAll(keysBefore), "nothing deleted: " + keysBefore + " -> " + keysAfter);
    }

    @Test
    void durationsParse() {
        assertEquals(Duration.ZERO, Durations.parse("--x", "0"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("--x", "30s"));
        assertEquals(Duration.ofMinutes(10), Durations.parse("--x", "10m"));
        assertEquals(Duration.ofHours(1), Durations.parse("--x", "1H"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("--x", "1h30m"));
        assertEquals(Duration.ofMillis(500), Durations.parse("--x", "500ms"));
        assertEquals(Duration.ofDays(2), Durations.parse("--x", "2d"));
        for (String bad : List.of("", "5", "h", "-1s", "1.5h", "1h 30m", "99999999999999999999s", "1w")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("--x", bad));
            assertTrue(e.getMessage().startsWith("invalid --x '" + bad + "': use 0 or a number"), e.getMessage());
        }
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("0", Durations.format(Duration.ZERO));
        assertEquals(0, Sizes.parseRate("--r", "0"));
        assertEquals(32L << 20, Sizes.parseRate("--r", "32M/s"));
    }
}
