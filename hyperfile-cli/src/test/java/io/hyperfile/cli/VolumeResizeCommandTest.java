package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.stack.StoreStack;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.ResizeRequest;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeResizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyperfile volume resize} in process on a local-directory store holding a 1 MiB volume full of data. */
class VolumeResizeCommandTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private ObjectStore store;
    private final byte[] content = new byte[MIB];

    private record Result(int code, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Arrays.stream(args), Stream.of("--store=file:" + dir.resolve("data"))).toArray(String[]::new);
        int code = Hyperfile.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeEach
    void volumeFullOfData() {
        assertEquals(0, run("volume", "create", "v", "--size", "1M").code);
        store = StoreStack.localDirectory(dir.resolve("data")).open();
        new Random(5).nextBytes(content);
        Volume v = open();
        try {
            v.write(0, ByteBuffer.wrap(content)).join();
            v.close().join();
        } finally {
            v.abort();
        }
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void growIsDurableAndShownByInfoAndTheNewRangeIsUsable() {
        Result r = run("volume", "resize", "v", "3M");
        assertEquals(0, r.code, r.err);
        assertEquals("resized volume v from 1 MiB (1048576 bytes) to 3 MiB (3145728 bytes)" + System.lineSeparator(), r.out);
        assertTrue(run("volume", "info", "v").out.contains("size:            3 MiB (3145728 bytes)"));
        assertTrue(run("volume", "list").out.matches("v\\s+3 MiB\\R"), run("volume", "list").out);
        Volume v = open();
        try {
            assertEquals(3L * MIB, v.sizeBytes());
            assertArrayEquals(content, read(v, 0, MIB));
            assertArrayEquals(new byte[2 * MIB], read(v, MIB, 2 * MIB));
            v.write(3L * MIB - 4096, ByteBuffer.wrap(content, 0, 4096)).join();
            assertArrayEquals(Arrays.copyOf(content, 4096), read(v, 3L * MIB - 4096, 4096));
        } finally {
            v.abort();
        }
    }

    @Test
    void shrinkIsRefusedInOneLineWithoutAllowShrinkAndChangesNothing() {
        List<ObjectInfo> before = store.listAll("v/", null).join();
        Result r = run("volume", "resize", "v", "512K");
        assertEquals(1, r.code);
        assertEquals("", r.out);
        assertEquals("hyperfile: volume v is 1 MiB (1048576 bytes); shrinking it to 512 KiB (524288 bytes) discards everything"
                + " beyond the new end: add --allow-shrink to do so" + System.lineSeparator(), r.err);
        assertEquals(before, store.listAll("v/", null).join(), "nothing written");
    }

    @Test
    void shrinkWithAllowShrinkDiscardsTheTailSoAGrowReadsZeroes() {
        Result r = run("volume", "resize", "v", "256K", "--allow-shrink");
        assertEquals(0, r.code, r.err);
        assertEquals("resized volume v from 1 MiB (1048576 bytes) to 256 KiB (262144 bytes); the data beyond the new end"
                + " was discarded" + System.lineSeparator(), r.out);
        assertTrue(run("volume", "info", "v").out.contains("size:            256 KiB (262144 bytes)"));
        assertEquals(0, run("volume", "resize", "v", "1M").code);
        Volume v = open();
        try {
            assertArrayEquals(Arrays.copyOf(content, 256 << 10), read(v, 0, 256 << 10));
            assertArrayEquals(new byte[768 << 10], read(v, 256 << 10, 768 << 10), "the old tail never comes back");
        } finally {
            v.abort();
        }
        assertEquals(0, run("fsck", "v").code);
    }

    @Test
    void theSameSizeIsANoOp() {
        List<ObjectInfo> before = store.listAll("v/", null).join();
        Result r = run("volume", "resize", "v", "1048576");
        assertEquals(0, r.code, r.err);
        assertEquals("volume v is already 1 MiB (1048576 bytes); nothing to do" + System.lineSeparator(), r.out);
        assertEquals(before, store.listAll("v/", null).join());
    }

    @Test
    void badSizesAndMissingVolumesAreUsageErrorsInOneLine() {
        Result unaligned = run("volume", "resize", "v", "1000");
        assertEquals(2, unaligned.code);
        assertTrue(unaligned.err.startsWith("hyperfile: size 1000 is not a multiple of the block size 4096 of volume v"
                + System.lineSeparator() + "Usage: hyperfile volume resize"), unaligned.err);
        Result zero = run("volume", "resize", "v", "0");
        assertEquals(2, zero.code);
        assertTrue(zero.err.startsWith("hyperfile: invalid size '0': must be positive and below 8 EiB"), zero.err);
        Result junk = run("volume", "resize", "v", "10X");
        assertEquals(2, junk.code);
        assertTrue(junk.err.startsWith("hyperfile: invalid size '10X'"), junk.err);
        Result huge = run("volume", "resize", "v", "2048P");
        assertEquals(2, huge.code);
        assertTrue(huge.err.startsWith("hyperfile: size 2048P is too large for blocks of 4096 bytes: at most 1024 PiB"), huge.err);
        Result missing = run("volume", "resize", "nope", "2M");
        assertEquals(1, missing.code);
        assertEquals("hyperfile: no volume named nope in file:" + dir.resolve("data") + System.lineSeparator(), missing.err);
        Result noSize = run("volume", "resize", "v");
        assertEquals(2, noSize.code);
        assertTrue(noSize.err.contains("Missing required parameter: 'SIZE'"), noSize.err);
        assertEquals(MIB, new VolumeCatalog(store).info("v").join().sizeBytes());
    }

    private void leaseHeldByARunningServer() {
        Leases.write(store, "v/", new VolumeLease(UUID.randomUUID(), "box", 4242, "127.0.0.1:10809", 0,
                System.currentTimeMillis(), 30_000)).join();
    }

    @Test
    void aServedVolumeIsGrownByARequestForItsServerAndForceStillResizesOffline() {
        leaseHeldByARunningServer();
        Result r = run("volume", "resize", "v", "2M", "--no-wait");
        assertEquals(0, r.code, r.err);
        assertEquals("asked the server holding volume v to grow it from 1 MiB (1048576 bytes) to 2 MiB (2097152 bytes) at its"
                + " next export rescan (request v/resize)" + System.lineSeparator(), r.out);
        ResizeRequest request = ResizeRequest.read(store, "v").join().orElseThrow();
        assertEquals(MIB, request.fromSizeBytes());
        assertEquals(2L * MIB, request.toSizeBytes());
        assertEquals(MIB, new VolumeCatalog(store).info("v").join().sizeBytes(), "the server applies it, not the command");

        Result forced = run("volume", "resize", "v", "3M", "--force");
        assertEquals(0, forced.code, forced.err);
        assertTrue(forced.err.startsWith("hyperfile: warning: volume v is served by host box"), forced.err);
        assertEquals(3L * MIB, new VolumeCatalog(store).info("v").join().sizeBytes());
    }

    @Test
    void waitingForAServerThatDoesNotApplyTheRequestTimesOutInOneLineAndLeavesItPending() {
        leaseHeldByARunningServer();
        Result r = run("volume", "resize", "v", "2M", "--wait", "1s");
        assertEquals(1, r.code);
        assertEquals("", r.out);
        assertEquals("hyperfile: volume v is still 1 MiB (1048576 bytes) after 1s: the request to grow it to 2 MiB (2097152"
                + " bytes) is pending; the server holding it applies it at its next export rescan (serve --rescan-interval, or"
                + " SIGHUP)" + System.lineSeparator(), r.err);
        assertEquals(2L * MIB, ResizeRequest.read(store, "v").join().orElseThrow().toSizeBytes());
    }

    @Test
    void waitingEndsWhenTheServerAppliesTheRequest() throws Exception {
        leaseHeldByARunningServer();
        Thread server = new Thread(() -> { // stands in for serve's rescan: applies the request once it is there
            long giveUp = System.nanoTime() + 60_000_000_000L;
            while (ResizeRequest.read(store, "v").join().isEmpty()) {
                if (System.nanoTime() > giveUp) {
                    return; // the command never wrote it: it fails below
                }
                Thread.onSpinWait();
            }
            Volume v = open();
            try {
                VolumeResizer.grow(v, 2L * MIB).join();
                v.close().join();
            } finally {
                v.abort();
            }
            ResizeRequest.delete(store, "v").join();
        });
        server.setDaemon(true);
        server.start();
        Result r = run("volume", "resize", "v", "2M", "--wait", "1m");
        server.join();
        assertEquals(0, r.code, r.err);
        assertEquals("resized volume v from 1 MiB (1048576 bytes) to 2 MiB (2097152 bytes) (applied by the server holding it;"
                + " its NBD clients see the new size when they reconnect)" + System.lineSeparator(), r.out);
    }

    @Test
    void aServedVolumeIsNeverShrunkOnlineWithoutForce() {
        leaseHeldByARunningServer();
        List<ObjectInfo> before = store.listAll("v/", null).join();
        Result r = run("volume", "resize", "v", "512K", "--allow-shrink");
        assertEquals(1, r.code);
        assertEquals("hyperfile: volume v is served by a running server, which grows a volume but never shrinks it: stop that"
                + " server first, or add --force to shrink it anyway (the server would be fenced)" + System.lineSeparator(), r.err);
        assertEquals(before, store.listAll("v/", null).join(), "no request written");
        assertEquals(0, run("volume", "resize", "v", "512K", "--allow-shrink", "--force").code);
        assertEquals(512L << 10, new VolumeCatalog(store).info("v").join().sizeBytes());
    }

    private Volume open() {
        return new VolumeCatalog(store).open("v", VolumeConfig.DEFAULT).join();
    }

    private static byte[] read(Volume v, long offset, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length);
        v.read(offset, dst).join();
        return dst.array();
    }
}
