package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.NbdTestClient.Options;
import io.hyperfile.nbd.testing.NbdTestClient.Reply;
import io.hyperfile.nbd.testing.ServerFixture;
import io.hyperfile.nbd.testing.TestVolumes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many requests in flight on several connections to one export, all verified against a model. */
class NbdConcurrencyIT {
    private static final long SIZE = 64L << 20;

    @Test
    void manyMixedRequestsInFlightOnSeveralConnections() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("disk", SIZE);
            f.start();
            int connections = 4;
            long region = SIZE / connections;
            byte[] model = new byte[(int) SIZE];
            List<NbdTestClient> clients = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                clients.add(NbdTestClient.connect(f.port(), "disk", i % 2 == 0 ? Options.LIBNBD : Options.KERNEL));
            }
            // Each connection owns a region (so every write is disjoint from writes in flight elsewhere) and keeps
            // up to 64 requests in flight: writes of any size and alignment, trims (which zero whole blocks here),
            // zeroes, reads of stable ranges, flushes.
            for (int round = 0; round < 4; round++) {
                List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
                List<Runnable> checks = new ArrayList<>();
                for (int ci = 0; ci < connections; ci++) {
                    NbdTestClient c = clients.get(ci);
                    Random r = new Random(round * 100 + ci);
                    long base = ci * region;
                    // a stable prefix of the region, read while the rest is written
                    long stable = 1 << 20;
                    byte[] stableCopy = Arrays.copyOfRange(model, (int) base, (int) (base + stable));
                    long cursor = base + stable;
                    for (int k = 0; k < 64; k++) {
                        int op = r.nextInt(10);
                        int len = 1 + r.nextInt(op < 5 ? 65536 : 200_000);
                        long off = cursor;
                        cursor += len + r.nextInt(4096);
                        if (cursor > base + region) {
                            break;
                        }
                        if (op < 5) {
                            byte[] d = new byte[len];
                            r.nextBytes(d);
                            System.arraycopy(d, 0, model, (int) off, len);
                            inFlight.add(c.send(CMD_WRITE, r.nextInt(4) == 0 ? CMD_FLAG_FUA : 0, off, len, d));
                        } else if (op < 6) {
                            Arrays.fill(model, (int) off, (int) (off + len), (byte) 0);
                            inFlight.add(c.send(CMD_WRITE_ZEROES, r.nextBoolean() ? CMD_FLAG_NO_HOLE : 0, off, len, null));
                        } else if (op < 7) {
                            // TRIM may discard whole blocks only; contents are unspecified afterwards, so re-zero below
                            Arrays.fill(model, (int) off, (int) (off + len), (byte) 0);
                            long o = off;
                            int l = len;
                            inFlight.add(c.send(CMD_TRIM, 0, off, len, null)
                                    .thenCompose(x -> c.send(CMD_WRITE_ZEROES, 0, o, l, null)));
                        } else if (op < 9) {
                            int rl = 1 + r.nextInt((int) stable - 1);
                            long ro = base + r.nextInt((int) stable - rl);
                            CompletableFuture<Reply> rd = c.send(CMD_READ, 0, ro, rl, null);
                            inFlight.add(rd);
                            checks.add(() -> assertArrayEquals(Arrays.copyOfRange(stableCopy, (int) (ro - base), (int) (ro - base + rl)),
                                    rd.join().data(), "read at " + ro));
                        } else {
                            inFlight.add(c.send(CMD_FLUSH, 0, 0, 0, null));
                        }
                    }
                }
                for (CompletableFuture<Reply> r : inFlight) {
                    assertTrue(r.get(120, TimeUnit.SECONDS).ok());
                }
                checks.forEach(Runnable::run);
            }
            // Everything reads back, through every connection.
            for (NbdTestClient c : clients) {
                for (long off = 0; off < SIZE; off += 8 << 20) {
                    assertArrayEquals(Arrays.copyOfRange(model, (int) off, (int) (off + (8 << 20))), c.read(off, 8 << 20).data(),
                            "content at " + off);
                }
                c.close();
            }
        }
    }

    @Test
    void concurrent512ByteWritesInsideOneBlockAllSurvive() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("disk", SIZE);
            f.start();
            List<NbdTestClient> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clients.add(NbdTestClient.connect(f.port(), "disk", Options.KERNEL));
            }
            Random r = new Random(7);
            byte[] expected = new byte[256 * 4096];
            List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
            // The eight sectors of each block go out at once, spread over the connections, in shuffled order.
            for (int block = 0; block < 256; block++) {
                List<Integer> sectors = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7));
                java.util.Collections.shuffle(sectors, r);
                for (int s : sectors) {
                    byte[] d = new byte[512];
                    r.nextBytes(d);
                    long off = block * 4096L + s * 512L;
                    System.arraycopy(d, 0, expected, (int) off, 512);
                    inFlight.add(clients.get(r.nextInt(clients.size())).send(CMD_WRITE, 0, off, 512, d));
                }
            }
            for (CompletableFuture<Reply> c : inFlight) {
                assertTrue(c.get(60, TimeUnit.SECONDS).ok());
            }
            assertArrayEquals(expected, clients.get(0).read(0, expected.length).data());
            for (NbdTestClient c : clients) {
                c.close();
            }
        }
    }

    /** CAN_MULTI_CONN: a FLUSH on one connection makes writes completed on another durable. */
    @Test
    void flushOnOneConnectionCoversWritesCompletedOnAnother() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] d = new byte[1 << 20];
        new Random(3).nextBytes(d);
        try (ServerFixture f = new ServerFixture(store)) {
            Volume v = f.addVolume("disk", SIZE);
            f.start();
            try (NbdTestClient a = NbdTestClient.connect(f.port(), "disk", Options.KERNEL);
                 NbdTestClient b = NbdTestClient.connect(f.port(), "disk", Options.LIBNBD)) {
                assertTrue(a.write(5 << 20, d).ok());
                assertTrue(b.flush().ok());
            }
            f.stopServer();
            v.abort(); // a crash: nothing unflushed survives
        }
        Volume reopened = TestVolumes.open(store, "disk", "disk");
        try {
            byte[] got = new byte[d.length];
            reopened.read(5 << 20, java.nio.ByteBuffer.wrap(got)).get(30, TimeUnit.SECONDS);
            assertArrayEquals(d, got);
        } finally {
            TestVolumes.close(reopened);
        }
    }

    /** Exports are volumes: two exports on one server are independent disks. */
    @Test
    void manyExportsPerServer() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("a", 1 << 20);
            f.addVolume("b", 2 << 20);
            f.addExport(new Export("b-ro", f.exports.find("b").orElseThrow().device(), true, ""));
            f.start();
            try (NbdTestClient a = NbdTestClient.connect(f.port(), "a"); NbdTestClient b = NbdTestClient.connect(f.port(), "b")) {
                assertEquals(1 << 20, a.size());
                assertEquals(2 << 20, b.size());
                byte[] d = new byte[4096];
                Arrays.fill(d, (byte) 7);
                assertTrue(a.write(0, d).ok());
                assertArrayEquals(new byte[4096], b.read(0, 4096).data());
            }
        }
    }
}
