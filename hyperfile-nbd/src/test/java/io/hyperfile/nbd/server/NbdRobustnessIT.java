package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.NbdTestClient.Options;
import io.hyperfile.nbd.testing.NbdTestClient.Reply;
import io.hyperfile.nbd.testing.ServerFixture;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile traffic: each case closes or errors only the connection it came from; a bystander client
 * keeps working throughout, and no buffer leaks (checked by the leak-check extension).
 */
class NbdRobustnessIT {
    private static final long SIZE = 128L << 20;
    private static ServerFixture fixture;
    private static NbdTestClient bystander;
    private static final byte[] PATTERN = new byte[4096];

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServerFixture();
        fixture.addVolume("disk", SIZE);
        fixture.start(ServerConfig.builder().port(0).handshakeTimeout(Duration.ofMillis(500)).build());
        new Random(1).nextBytes(PATTERN);
        bystander = NbdTestClient.connect(fixture.port(), "disk", Options.LIBNBD);
        assertTrue(bystander.write(0, PATTERN).ok());
    }

    @AfterAll
    static void stop() throws Exception {
        bystander.close();
        fixture.close();
    }

    private static void bystanderStillWorks() throws Exception {
        assertArrayEquals(PATTERN, bystander.read(0, 4096).data());
    }

    /** A raw socket past the handshake (GO, simple replies). */
    private static Socket transmitting() throws Exception {
        NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL);
        return c.socket(); // its reader thread exits when the server closes the socket
    }

    private static boolean closedByServer(Socket s) throws Exception {
        s.setSoTimeout(5000);
        InputStream in = s.getInputStream();
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return true; // reset
        }
    }

    private static byte[] header(int flags, int type, long cookie, long offset, long length) {
        return ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length).array();
    }

    @Test
    void badMagicClosesOnlyThatConnection() throws Exception {
        NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL);
        OutputStream out = c.socket().getOutputStream();
        byte[] h = header(0, CMD_READ, 1, 0, 512);
        h[3] = 0;
        out.write(h);
        out.flush();
        c.awaitClosedByServer(5000);
        assertTrue(c.isClosedByServer());
        c.close();
        bystanderStillWorks();
    }

    @Test
    void truncatedHeaderAndTruncatedPayloadAreDroppedCleanly() throws Exception {
        for (int cut : new int[] {1, 13, 27, 28 + 1, 28 + 70000}) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", fixture.port()));
            NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL);
            ByteBuffer b = ByteBuffer.allocate(28 + (1 << 20)).put(header(0, CMD_WRITE, 1, 0, 1 << 20));
            c.socket().getOutputStream().write(b.array(), 0, cut);
            c.socket().getOutputStream().flush();
            c.close(); // TCP delivers the partial request before the FIN: the server sees it cut short
            s.close();
        }
        bystanderStillWorks();
    }

    @Test
    void oversizedWriteClosesTheConnectionWithoutBufferingIt() throws Exception {
        NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL);
        OutputStream out = c.socket().getOutputStream();
        out.write(header(0, CMD_WRITE, 1, 0, 0xF000_0000L));
        out.write(new byte[65536]);
        out.flush();
        c.awaitClosedByServer(5000);
        assertTrue(c.isClosedByServer());
        c.close();
        bystanderStillWorks();
    }

    @Test
    void garbageDuringTheHandshakeCloses() throws Exception {
        for (byte[] garbage : List.of("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(), new byte[] {0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", fixture.port()));
                s.getInputStream().readNBytes(18);
                s.getOutputStream().write(garbage);
                s.getOutputStream().flush();
                assertTrue(closedByServer(s));
            }
        }
        bystanderStillWorks();
    }

    @Test
    void idleHalfOpenHandshakeIsClosedAfterTheTimeout() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", fixture.port()));
            assertEquals(18, s.getInputStream().readNBytes(18).length);
            long t0 = System.nanoTime();
            assertTrue(closedByServer(s));
            assertTrue(System.nanoTime() - t0 < 4_000_000_000L);
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", fixture.port()));
            s.getOutputStream().write(new byte[] {0, 0, 0, 3, 0x49, 0x48}); // flags, then half an option
            assertTrue(closedByServer(s));
        }
        bystanderStillWorks();
    }

    @Test
    void resetWithManyReadsInFlight() throws Exception {
        for (int round = 0; round < 3; round++) {
            NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.LIBNBD);
            for (int i = 0; i < 64; i++) {
                c.send(CMD_READ, 0, (long) i << 20, 1 << 20, null);
            }
            c.socket().setSoLinger(true, 0); // RST on close
            c.close();
        }
        awaitOnlyTheBystanderConnected();
        bystanderStillWorks();
    }

    /** Waits (bounded) until the server has dropped every connection but the bystander's. */
    private static void awaitOnlyTheBystanderConnected() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (fixture.server().connectionCount() > 1) {
            assertTrue(System.nanoTime() < deadline, "the server kept " + fixture.server().connectionCount() + " connections");
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void requestsAfterDiscAreIgnored() throws Exception {
        NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL);
        OutputStream out = c.socket().getOutputStream();
        ByteBuffer b = ByteBuffer.allocate(28 * 3).put(header(0, CMD_DISC, 1, 0, 0)).put(header(0, CMD_WRITE, 2, 0, 0))
                .put(header(0, CMD_READ, 3, 0, 512));
        out.write(b.array());
        out.flush();
        c.awaitClosedByServer(5000);
        assertTrue(c.isClosedByServer());
        c.close();
        bystanderStillWorks();
    }

    /**
     * The kernel's worst case: 128 requests of 32 MiB in flight on one connection. The server must pause reading
     * instead of allocating 4 GiB: direct memory in use stays near the in-flight limit (64 MiB) per connection.
     */
    @Test
    void kernelDepthOf32MiBRequestsStaysWithinTheMemoryBound() throws Exception {
        ByteBufAllocatorMetricProvider metrics = NbdServer.ALLOCATOR; // what the server's connections allocate from
        AtomicLong peak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(metrics.metric().usedDirectMemory(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        byte[] data = new byte[32 << 20];
        new Random(2).nextBytes(data);
        try (NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk", Options.KERNEL)) {
            assertTrue(c.write(64L << 20, data).ok());
            List<CompletableFuture<Boolean>> replies = new ArrayList<>();
            for (int i = 0; i < 128; i++) {
                int at = i * 250_000;
                // keep only the verdict: 128 replies of 32 MiB must not pile up in the test's own heap
                replies.add(c.send(CMD_READ, 0, 64L << 20, 32 << 20, null)
                        .thenApply(reply -> reply.ok() && reply.data()[at] == data[at]));
            }
            for (CompletableFuture<Boolean> r : replies) {
                assertTrue(r.get(120, TimeUnit.SECONDS));
            }
            List<CompletableFuture<Reply>> writes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                writes.add(c.send(CMD_WRITE, 0, 64L << 20, data.length, data));
            }
            for (CompletableFuture<Reply> w : writes) {
                assertTrue(w.get(120, TimeUnit.SECONDS).ok());
            }
            assertArrayEquals(data, c.read(64L << 20, data.length).data());
        } finally {
            sampler.interrupt();
        }
        assertTrue(peak.get() < (256L << 20), "peak direct memory " + (peak.get() >> 20) + " MiB");
        bystanderStillWorks();
    }
}
