package io.hyperfile.cli.it;

import java.io.IOException;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The soak's write stream against one server: 4 KiB writes to random blocks of the {@link CrashModel}'s region
 * with up to {@code queueDepth} requests in flight and a FLUSH after every {@code flushEvery} writes, until a
 * deadline, a hang, a self-fence or a lost connection. Every write's content names its block and a unique
 * sequence number ({@link CrashModel#content}), so stale or misplaced data is caught on read-back. Writes
 * acknowledged before a FLUSH was sent become durable when that FLUSH is acknowledged; a failed FLUSH changes
 * nothing, so a later successful one must cover them.
 *
 * <p>A request unanswered for longer than the hang threshold is a hang: it is counted and the server is killed.
 *
 * <p>Thread-safety: {@link #run} is called once, from one thread; completions run on the NBD client's reader
 * thread and touch only atomics, the model (synchronized) and the busy-block table (synchronized).
 */
final class SoakStream {
    /** Why the stream ended. */
    enum Outcome { TIME, HANG, FENCED, CONNECTION_LOST }

    private static final long POLL_MILLIS = 100;
    private static final long FENCE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private record InFlight(String command, long sentNanos) {
    }

    private final ServerProcess server;
    private final NbdTestClient client;
    private final CrashModel model;
    private final SoakFigures figures;
    private final Random random;
    private final long hangNanos;
    private final int queueDepth;
    private final int flushEvery;
    private final Map<Long, InFlight> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicReference<Outcome> stop = new AtomicReference<>();
    private final AtomicBoolean killed = new AtomicBoolean();
    private final AtomicBoolean errorSeen = new AtomicBoolean();
    private final AtomicBoolean flushFailedSinceAck = new AtomicBoolean();
    private final boolean[] busy;
    private final Semaphore slots;
    private long lastFenceCheckNanos;

    SoakStream(ServerProcess server, NbdTestClient client, CrashModel model, SoakFigures figures, Random random,
            long hangNanos, int queueDepth, int flushEvery) {
        this.server = server;
        this.client = client;
        this.model = model;
        this.figures = figures;
        this.random = random;
        this.hangNanos = hangNanos;
        this.queueDepth = queueDepth;
        this.flushEvery = flushEvery;
        this.busy = new boolean[model.blocks()];
        this.slots = new Semaphore(queueDepth);
    }

    /**
     * Streams until {@code untilNanos} (or an earlier hang, fence or lost connection). Then, if {@code killAtEnd}
     * or the stream did not end on time, SIGKILLs the server; else waits for the requests in flight. Returns when
     * every request has completed or failed.
     */
    Outcome run(long untilNanos, boolean killAtEnd) throws InterruptedException {
        int writesSinceFlush = 0;
        while (stop.get() == null) {
            long now = System.nanoTime();
            if (now >= untilNanos) {
                stop.compareAndSet(null, Outcome.TIME);
                break;
            }
            watch(now);
            if (stop.get() != null || !slots.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                continue;
            }
            if (writesSinceFlush >= flushEvery) {
                writesSinceFlush = 0;
                sendFlush();
            } else {
                writesSinceFlush++;
                sendWrite();
            }
        }
        if (killAtEnd || stop.get() != Outcome.TIME) {
            kill();
        }
        while (!slots.tryAcquire(queueDepth, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            watch(System.nanoTime());
            if (stop.get() != Outcome.TIME) {
                kill(); // a hang while draining: the failed requests then release their slots at once
            }
        }
        return stop.get();
    }

    private void sendFlush() {
        long cut = model.flushSent();
        figures.flushesSent.incrementAndGet();
        track("FLUSH", client.flush(), () -> {
            model.flushAcknowledged(cut);
            figures.flushesAcked.incrementAndGet();
            if (flushFailedSinceAck.getAndSet(false)) {
                figures.flushesAckedAfterFailure.incrementAndGet();
            }
        }, () -> flushFailedSinceAck.set(true));
    }

    private void sendWrite() {
        int index = pickIdleBlock();
        long seq = model.beginWrite(index);
        long blockNo = model.firstBlock() + index;
        figures.writesSent.incrementAndGet();
        Runnable done = () -> {
            synchronized (busy) {
                busy[index] = false;
            }
        };
        track("WRITE", client.write(blockNo * CrashModel.BLOCK_BYTES, CrashModel.content(seq, blockNo), 0), () -> {
            model.writeAcknowledged(index, seq, false);
            figures.writesAcked.incrementAndGet();
            done.run();
        }, done);
    }

    /** Registers a request for hang detection and handles its completion; releases its slot when done. */
    private void track(String command, CompletableFuture<Void> request, Runnable onAck, Runnable onError) {
        long id = ids.incrementAndGet();
        inFlight.put(id, new InFlight(command, System.nanoTime()));
        request.whenComplete((ok, e) -> {
            inFlight.remove(id);
            try {
                if (e == null) {
                    onAck.run();
                    return;
                }
                onError.run();
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof NbdTestClient.NbdErrorException nbd) {
                    figures.error(command, nbd.error);
                    errorSeen.set(true);
                } else if (!killed.get() && stop.compareAndSet(null, Outcome.CONNECTION_LOST)) {
                    figures.connectionsLost.incrementAndGet();
                }
            } finally {
                slots.release();
            }
        });
    }

    /** Checks for hangs and, after error replies, for a self-fence in the server log. */
    private void watch(long now) {
        for (InFlight f : inFlight.values()) {
            Outcome was = stop.get();
            if (now - f.sentNanos() > hangNanos && (was == null || was == Outcome.TIME)
                    && stop.compareAndSet(was, Outcome.HANG)) {
                figures.hang(f.command(), f.command() + " unanswered for " + TimeUnit.NANOSECONDS.toSeconds(now - f.sentNanos())
                        + " s (server log " + server.log().getFileName() + ")");
                return;
            }
        }
        if (now - lastFenceCheckNanos > FENCE_CHECK_NANOS && errorSeen.getAndSet(false)) {
            lastFenceCheckNanos = now;
            if (FaultSoak.fenced(server)) {
                stop.compareAndSet(null, Outcome.FENCED);
            }
        }
    }

    private void kill() throws InterruptedException {
        if (killed.getAndSet(true)) {
            return;
        }
        server.kill9AndWait();
        try {
            client.close(); // fails every request still pending
        } catch (IOException ignored) {
            // the connection is gone with the server
        }
    }

    /** A random block of the region with no write in flight; marks it busy. */
    private int pickIdleBlock() {
        synchronized (busy) {
            while (true) {
                int index = random.nextInt(busy.length);
                if (!busy[index]) {
                    busy[index] = true;
                    return index;
                }
            }
        }
    }
}
