package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.protocol.NbdSession;
import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.NbdTestClient.Options;
import io.hyperfile.nbd.testing.NbdTestClient.Reply;
import io.hyperfile.nbd.testing.ServerFixture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The transmission phase against a running server and a real volume, through the test client. */
class NbdServerIT {
    private static final long SIZE = 256L << 20;
    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServerFixture();
        fixture.addVolume("disk", SIZE);
        fixture.addExport(new Export("disk-ro", fixture.exports.find("disk").orElseThrow().device(), true, "read-only view"));
        fixture.start();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static NbdTestClient connect(Options o) throws Exception {
        return NbdTestClient.connect(fixture.port(), "disk", o);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void everyHandshakeStyleGetsTheRightFlags() throws Exception {
        try (NbdTestClient k = connect(Options.KERNEL);
             NbdTestClient e = connect(new Options(false, false, true, false));
             NbdTestClient l = connect(Options.LIBNBD)) {
            assertEquals(SIZE, k.size());
            assertEquals(NbdSession.transmissionFlags(false, false), k.transmissionFlags());
            assertEquals(0, k.transmissionFlags() & TF_SEND_DF, "no DF without structured replies");
            assertEquals(NbdSession.transmissionFlags(false, false), e.transmissionFlags());
            assertEquals(SIZE, e.size());
            assertEquals(NbdSession.transmissionFlags(false, true), l.transmissionFlags());
        }
    }

    @Test
    void writesAndReadsAnyByteRangeInBothReplyModes() throws Exception {
        for (Options o : List.of(Options.KERNEL, Options.LIBNBD)) {
            try (NbdTestClient c = connect(o)) {
                long base = o.structured() ? 8L << 20 : 16L << 20;
                byte[] a = random(65536, 1);
                assertTrue(c.write(base, a).ok());
                byte[] b = random(1000, 2);
                assertTrue(c.send(CMD_WRITE, CMD_FLAG_FUA, base + 513, b.length, b).get(30, TimeUnit.SECONDS).ok());
                System.arraycopy(b, 0, a, 513, b.length);
                assertArrayEquals(a, c.read(base, a.length).data());
                assertArrayEquals(Arrays.copyOfRange(a, 511, 2000), c.read(base + 511, 1489).data());
                // 512-byte granular I/O, as the kernel sends it
                byte[] s = random(512, 3);
                assertTrue(c.write(base + 4096 * 3 + 512, s).ok());
                assertArrayEquals(s, c.read(base + 4096 * 3 + 512, 512).data());
            }
        }
    }

    @Test
    void cookiesAreEchoedExactly() throws Exception {
        try (NbdTestClient c = connect(Options.KERNEL)) {
            for (long cookie : new long[] {0L, -1L, 0x8000_0000_0000_0000L, 0x0000_0001_FFFF_FFFFL}) {
                Reply r = c.send(cookie, CMD_READ, 0, 0, 512, null).get(30, TimeUnit.SECONDS);
                assertEquals(cookie, r.cookie());
                assertTrue(r.ok());
                r = c.send(cookie, CMD_WRITE, 0, 4096, 8, new byte[8]).get(30, TimeUnit.SECONDS);
                assertEquals(cookie, r.cookie());
            }
        }
    }

    @Test
    void requestErrorsFollowTheSpecAndTheStreamStaysInSync() throws Exception {
        for (Options o : List.of(Options.KERNEL, Options.LIBNBD)) {
            try (NbdTestClient c = connect(o)) {
                assertEquals(NbdError.EINVAL.code(), c.read(SIZE - 512, 1024).error(), "read past the end");
                assertEquals(NbdError.EINVAL.code(), c.read(SIZE + 512, 0).error(), "read starting past the end");
                assertEquals(NbdError.EINVAL.code(), c.read(-512L, 512).error(), "offset >= 2^63 is not negative");
                assertEquals(NbdError.EINVAL.code(), c.read(0, (32 << 20) + 1).error(), "read above the maximum payload");
                assertEquals(NbdError.EINVAL.code(), c.call(CMD_READ, 0, 0, 0xFFFF_FFFFL).error(), "4 GiB read");
                assertEquals(NbdError.EINVAL.code(), c.call(CMD_TRIM, 0, SIZE, 512).error(), "trim past the end");
                assertEquals(NbdError.EINVAL.code(), c.call(CMD_CACHE, 0, -1L, 512).error(), "cache past the end");
                assertEquals(NbdError.EINVAL.code(), c.call(42, 0, 0, 0).error(), "unknown command");
                assertEquals(NbdError.EINVAL.code(), c.call(CMD_FLUSH, CMD_FLAG_NO_HOLE, 0, 0).error(), "flag not valid here");
                assertEquals(NbdError.EINVAL.code(), c.call(CMD_READ, 0x40, 0, 512).error(), "unknown flag");
                assertEquals(NbdError.ENOSPC.code(), c.call(CMD_WRITE_ZEROES, 0, SIZE - 512, 1024).error(), "zero past the end");
                assertTrue(c.call(CMD_READ, CMD_FLAG_FUA, 0, 512).ok(), "FUA is accepted on any command");
                if (!o.structured()) {
                    assertEquals(NbdError.EINVAL.code(), c.call(CMD_READ, CMD_FLAG_DF, 0, 512).error(), "DF without SR");
                    assertEquals(NbdError.EINVAL.code(), c.call(CMD_BLOCK_STATUS, 0, 0, 512).error(), "no context");
                }
                // A straddling write: ENOSPC, payload consumed, in-range part untouched.
                byte[] before = c.read(SIZE - 4096, 4096).data();
                byte[] p = random(8192, 4);
                Reply w = c.send(CMD_WRITE, 0, SIZE - 4096, p.length, p).get(30, TimeUnit.SECONDS);
                assertEquals(NbdError.ENOSPC.code(), w.error());
                if (o.structured()) {
                    assertTrue(w.message().contains("beyond the end of the export"), w.message());
                }
                assertArrayEquals(before, c.read(SIZE - 4096, 4096).data());
                assertTrue(c.write(0, random(512, 5)).ok(), "the stream is still in sync");
            }
        }
    }

    @Test
    void zeroLengthRequestsSucceed() throws Exception {
        for (Options o : List.of(Options.KERNEL, Options.LIBNBD)) {
            try (NbdTestClient c = connect(o)) {
                for (int type : new int[] {CMD_READ, CMD_WRITE, CMD_TRIM, CMD_WRITE_ZEROES, CMD_CACHE, CMD_FLUSH}) {
                    assertTrue(c.send(type, 0, 4096, 0, null).get(30, TimeUnit.SECONDS).ok(), commandName(type));
                }
                assertTrue(c.read(SIZE, 0).ok(), "zero bytes at the very end");
            }
        }
    }

    @Test
    void readOnlyExportRefusesWritesWithEperm() throws Exception {
        try (NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk-ro", Options.LIBNBD)) {
            assertTrue((c.transmissionFlags() & TF_READ_ONLY) != 0);
            assertEquals(0, c.transmissionFlags() & (TF_SEND_TRIM | TF_SEND_WRITE_ZEROES));
            assertEquals(NbdError.EPERM.code(), c.write(0, new byte[512]).error());
            assertEquals(NbdError.EPERM.code(), c.call(CMD_TRIM, 0, 0, 4096).error());
            assertEquals(NbdError.EPERM.code(), c.call(CMD_WRITE_ZEROES, 0, 0, 4096).error());
            assertTrue(c.flush().ok());
            assertTrue(c.read(0, 4096).ok());
        }
    }

    @Test
    void trimZeroAndBlockStatusReportWhatWasDone() throws Exception {
        try (NbdTestClient c = connect(Options.LIBNBD)) {
            long base = 32L << 20;
            assertTrue(c.write(base, random(64 << 10, 6)).ok());
            assertTrue(c.call(CMD_TRIM, 0, base + (16 << 10), 16 << 10).ok());
            assertTrue(c.call(CMD_WRITE_ZEROES, CMD_FLAG_NO_HOLE, base + (32 << 10), 16 << 10).ok());
            assertTrue(c.call(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO | CMD_FLAG_FUA, base + (48 << 10), 8 << 10).ok());
            assertEquals(NbdError.ENOTSUP.code(), c.call(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, base + 100, 1000).error(),
                    "fast zero of a partial block would be a read-modify-write");
            Reply bs = c.call(CMD_BLOCK_STATUS, 0, base, 128 << 10);
            assertTrue(bs.ok());
            List<String> got = new ArrayList<>();
            bs.extents().forEach(e -> got.add(e[0] + ":" + e[1]));
            // data, trimmed (hole), zeroed with NO_HOLE (zero), zeroed without NO_HOLE (punched: hole), data; what
            // follows depends on other tests
            assertEquals(List.of((16 << 10) + ":0", (16 << 10) + ":3", (16 << 10) + ":2", (8 << 10) + ":3", (8 << 10) + ":0"),
                    got.subList(0, 5));
            Reply one = c.call(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, base + (16 << 10), 4096);
            assertEquals(1, one.extents().size());
            assertEquals(4096, one.extents().get(0)[0]);
            assertEquals(3, one.extents().get(0)[1]);
            // A structured read over the trimmed part carries a hole chunk, and reads zeros.
            Reply r = c.read(base, 64 << 10);
            assertTrue(r.chunkTypes().contains(REPLY_TYPE_OFFSET_HOLE), r.chunkTypes().toString());
            byte[] expect = random(64 << 10, 6);
            Arrays.fill(expect, 16 << 10, 56 << 10, (byte) 0);
            assertArrayEquals(expect, r.data());
            Reply df = c.call(CMD_READ, CMD_FLAG_DF, base, 64 << 10);
            assertEquals(List.of(REPLY_TYPE_OFFSET_DATA), df.chunkTypes(), "DF: one data chunk");
            assertArrayEquals(expect, df.data());
            assertTrue(c.call(CMD_CACHE, 0, base, 1 << 20).ok());
        }
    }

    @Test
    void hugeTrimAndZeroAreMetadataOnly() throws Exception {
        try (NbdTestClient c = connect(Options.KERNEL)) {
            byte[] d = random(4096, 7);
            assertTrue(c.write(SIZE - 8192, d).ok());
            long t0 = System.nanoTime();
            assertTrue(c.call(CMD_TRIM, 0, 0, SIZE - 4096).ok());
            assertTrue(c.call(CMD_WRITE_ZEROES, 0, 4096, SIZE - 4096).ok());
            assertTrue((System.nanoTime() - t0) < 30_000_000_000L);
            assertArrayEquals(new byte[4096], c.read(SIZE - 8192, 4096).data());
        }
    }

    @Test
    void largestRequestsWork() throws Exception {
        try (NbdTestClient c = connect(Options.KERNEL); NbdTestClient s = connect(Options.LIBNBD)) {
            byte[] big = random(32 << 20, 8);
            assertTrue(c.write(64L << 20, big).ok());
            assertArrayEquals(big, c.read(64L << 20, big.length).data());
            assertArrayEquals(big, s.read(64L << 20, big.length).data());
            assertTrue(c.flush().ok());
        }
    }

    @Test
    void disconnectFinishesOutstandingRequestsThenCloses() throws Exception {
        NbdTestClient c = connect(Options.KERNEL);
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        byte[] d = random(1 << 20, 9);
        for (int i = 0; i < 16; i++) {
            replies.add(c.send(CMD_WRITE, 0, (96L << 20) + ((long) i << 20), d.length, d));
        }
        c.disconnect();
        for (CompletableFuture<Reply> r : replies) {
            assertTrue(r.get(30, TimeUnit.SECONDS).ok());
        }
        assertTrue(c.isClosedByServer());
        c.close();
        try (NbdTestClient v = connect(Options.KERNEL)) {
            assertArrayEquals(d, v.read(96L << 20, d.length).data());
        }
        assertFalse(fixture.server().connectionCount() > 1, "the disconnected connection is gone");
    }
}
