package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash test of the whole server: {@code hyperfile serve} runs as a child process on a local-directory store; a
 * pipelined NBD client streams 4 KiB writes with a FLUSH every few writes (and now and then a FUA write), the test
 * kills the server with SIGKILL after a random number of acknowledged requests, restarts it on the same store and
 * checks every block of the written region against {@link CrashModel}: whatever was acknowledged before an
 * acknowledged FLUSH (or with FUA) is there, or a later write of the same block is, and nothing is torn. The same
 * volume goes through all cycles, so recovery also runs on recovered volumes. A last cycle ends with SIGTERM instead
 * of SIGKILL: the server must exit 0 with every acknowledged write durable.
 *
 * <p>{@code -Dhyperfile.crash.cycles=N} sets the kill cycles per queue depth (default 10, so 20 in a CI run);
 * {@code -Dhyperfile.crash.seed=S} replays a run. The seed is in every failure message and in the test output.
 */
class CrashIT {
    private static final int CYCLES = Integer.getInteger("hyperfile.crash.cycles", 10);
    private static final long SEED = Long.getLong("hyperfile.crash.seed", System.nanoTime());
    private static final String VOLUME = "crash";
    /** 4096 blocks (16 MiB) just past 4 GiB, so offsets need all 64 bits of the request. */
    private static final long FIRST_BLOCK = (4L << 30) / CrashModel.BLOCK_BYTES + 1;
    private static final int REGION_BLOCKS = 4096;
    private static final int READ_CHUNK_BYTES = 256 << 10;
    private static final long REQUEST_TIMEOUT_SECONDS = 60;

    /** Kept when a test fails: it holds the store and every server's log (serve-N.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @ParameterizedTest(name = "queue depth {0}")
    @ValueSource(ints = {1, 32})
    void everyWriteAcknowledgedBeforeAFlushSurvivesKill9(int queueDepth) throws Exception {
        String context = "seed " + SEED + ", queue depth " + queueDepth + " (replay: -Dhyperfile.crash.seed=" + SEED + ")";
        System.out.printf("CrashIT: %d cycles, %s%n", CYCLES, context);
        Random random = new Random(SEED + queueDepth);
        String store = "file:" + dir.resolve("store");
        Commands.hyperfile(dir, "volume", "create", VOLUME, "--size", "8G", "--store", store).orThrow();
        CrashModel model = new CrashModel(FIRST_BLOCK, REGION_BLOCKS);
        long started = System.nanoTime();
        long totalAcked = 0;
        for (int cycle = 1; cycle <= CYCLES + 1; cycle++) {
            boolean last = cycle == CYCLES + 1;
            try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store, VOLUME)) {
                String where = context + ", cycle " + cycle + ", server log " + server.log();
                try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", server.port(), VOLUME)) {
                    if (cycle > 1) {
                        verify(client, model, where, cycle - 1);
                    }
                    int flushEvery = 4 + random.nextInt(61);
                    if (!last) {
                        // Kill somewhere in the first few hundred milliseconds of the stream.
                        long killAfter = 50 + random.nextInt(queueDepth == 1 ? 500 : 1000);
                        Stream s = stream(client, model, random, queueDepth, flushEvery, killAfter, server);
                        server.kill9AndWait();
                        assertTrue(s.errors.isEmpty(), where + ": requests failed before the kill: " + s.errors);
                        totalAcked += s.acked;
                        System.out.printf("  cycle %d: SIGKILL after %d acknowledged requests in %d ms (FLUSH every %d writes)%n",
                                cycle, s.acked, s.millis, flushEvery);
                        continue;
                    }
                    Stream s = stream(client, model, random, queueDepth, flushEvery, 1000, null);
                    assertTrue(s.errors.isEmpty(), where + ": requests failed: " + s.errors);
                    totalAcked += s.acked;
                    model.everythingAcknowledgedIsDurable();
                    int exit = server.terminate(120);
                    assertEquals(0, exit, where + ": exit code after SIGTERM; log:\n" + server.logTail());
                }
            }
        }
        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store, VOLUME);
                NbdTestClient client = NbdTestClient.connect("127.0.0.1", server.port(), VOLUME)) {
            verify(client, model, context + ", after the graceful stop, server log " + server.log(), CYCLES + 1);
        }
        System.out.printf("CrashIT queue depth %d: %d kill cycles + 1 graceful stop, %d requests acknowledged, "
                + "%d writes acknowledged, %d of them verified durable, in %.1f s%n", queueDepth, CYCLES, totalAcked,
                model.writesAcked(), model.writesVerified(), (System.nanoTime() - started) / 1e9);
        assertTrue(model.writesVerified() > 0, context + ": no acknowledged write was ever covered by a FLUSH");
        Commands.Result fsck = Commands.hyperfile(dir, "fsck", VOLUME, "--store", store);
        assertEquals(0, fsck.exitCode(), context + ": " + fsck);
    }

    /** What one write stream did. */
    private record Stream(long acked, long millis, List<String> errors) {
    }

    /**
     * Streams writes (and a FLUSH after every {@code flushEvery} writes) with up to {@code queueDepth} requests in
     * flight. With a {@code server} to kill, SIGKILLs it from the reply thread on the {@code killAfter}-th
     * acknowledged request and returns when every request has completed or failed; without, stops sending after
     * {@code killAfter} requests and returns when all are acknowledged.
     */
    private static Stream stream(NbdTestClient client, CrashModel model, Random random, int queueDepth, int flushEvery,
            long killAfter, ServerProcess server) throws InterruptedException {
        Semaphore slots = new Semaphore(queueDepth);
        AtomicLong acked = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        boolean[] inFlight = new boolean[model.blocks()];
        int writesSinceFlush = 0;
        long sent = 0;
        long startNanos = System.nanoTime();
        AtomicLong endNanos = new AtomicLong();
        while (!stop.get() && (server != null || sent < killAfter)) {
            if (!slots.tryAcquire(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("no reply within " + REQUEST_TIMEOUT_SECONDS + " s with " + queueDepth + " requests in flight");
            }
            if (stop.get()) {
                slots.release();
                break;
            }
            sent++;
            CompletableFuture<Void> request;
            Runnable onAck;
            if (writesSinceFlush >= flushEvery) {
                writesSinceFlush = 0;
                long cut = model.flushSent();
                request = client.flush();
                onAck = () -> model.flushAcknowledged(cut);
            } else {
                writesSinceFlush++;
                int index = pickIdleBlock(random, inFlight);
                boolean fua = random.nextInt(40) == 0;
                long seq = model.beginWrite(index);
                request = client.write((model.firstBlock() + index) * CrashModel.BLOCK_BYTES,
                        CrashModel.content(seq, model.firstBlock() + index), fua ? NbdTestClient.CMD_FLAG_FUA : 0);
                onAck = () -> {
                    model.writeAcknowledged(index, seq, fua);
                    synchronized (inFlight) {
                        inFlight[index] = false;
                    }
                };
            }
            request.whenComplete((ok, e) -> {
                if (e == null) {
                    onAck.run();
                    if (acked.incrementAndGet() == killAfter && server != null) {
                        endNanos.set(System.nanoTime());
                        killed.set(true);
                        server.kill9();
                    }
                } else {
                    stop.set(true);
                    if (e instanceof NbdTestClient.NbdErrorException || !killed.get()) {
                        errors.add(e.toString());
                    }
                }
                slots.release();
            });
        }
        if (!slots.tryAcquire(queueDepth, REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            fail("requests still in flight " + REQUEST_TIMEOUT_SECONDS + " s after the stream ended");
        }
        long millis = ((killed.get() ? endNanos.get() : System.nanoTime()) - startNanos) / 1_000_000;
        return new Stream(acked.get(), millis, List.copyOf(errors));
    }

    /** A random block of the region with no write in flight; marks it busy. */
    private static int pickIdleBlock(Random random, boolean[] inFlight) {
        synchronized (inFlight) {
            while (true) {
                int index = random.nextInt(inFlight.length);
                if (!inFlight[index]) {
                    inFlight[index] = true;
                    return index;
                }
            }
        }
    }

    /** Reads the whole region back and checks it against the model (which then takes it as the new baseline). */
    private static void verify(NbdTestClient client, CrashModel model, String where, int cycle) throws IOException {
        int regionBytes = model.blocks() * CrashModel.BLOCK_BYTES;
        byte[] region = new byte[regionBytes];
        CompletableFuture<?>[] reads = new CompletableFuture<?>[regionBytes / READ_CHUNK_BYTES];
        for (int i = 0; i < reads.length; i++) {
            int at = i * READ_CHUNK_BYTES;
            reads[i] = client.read(model.firstBlock() * CrashModel.BLOCK_BYTES + at, READ_CHUNK_BYTES)
                    .thenAccept(data -> System.arraycopy(data, 0, region, at, READ_CHUNK_BYTES));
        }
        try {
            CompletableFuture.allOf(reads).get(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException(where + ": reading the region back failed", e);
        }
        CrashModel.Verification[] stats = new CrashModel.Verification[1];
        assertNull(model.verify(region, stats), where);
        System.out.printf("  after cycle %d: %d blocks had to hold a flushed write, %d hold a write never acknowledged, "
                + "%d lost acknowledged but unflushed writes, %d hold their newest acknowledged write%n", cycle,
                stats[0].blocksWithDurableWrite(), stats[0].keptUnacknowledged(), stats[0].lostUnflushed(),
                stats[0].readBackNewestAcked());
    }
}
