package io.hyperfile.cli.it;

import io.hyperfile.cli.it.FaultyS3Proxy.Rates;
import io.hyperfile.core.store.s3.S3Backend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One fault soak run: {@code hyperfile serve} as a child process on the tests' S3Proxy, reached through a
 * {@link FaultyS3Proxy}, driven over NBD by a {@link SoakStream} (4 KiB writes at random blocks, a FLUSH every
 * {@value #FLUSH_EVERY} writes) and killed with SIGKILL at seeded random points; after every restart the whole
 * region is read back and checked against the {@link CrashModel}. When the fault phase ends, faults stop, a last
 * FLUSH must succeed, every acknowledged write must read back, and once more after a last kill -9 and restart.
 *
 * <p>A hang (a request unanswered past the hang threshold), a self-fence (the server log says
 * {@value #FENCE_LINE}) or a lost connection ends the current server with SIGKILL and restarts it, so that one
 * run counts every such event; a verification that finds lost or wrong blocks ends the run. The run never
 * throws for what the server does: it records figures and problems, and the test asserts on them.
 *
 * <p>Thread-safety: not thread-safe; one run, driven from the test thread.
 */
final class FaultSoak {
    static final String VOLUME = "soak";
    static final String FENCE_LINE = "taken over by another writer";
    static final int FLUSH_EVERY = 32;
    /**
     * 2048 blocks (8 MiB) just past 4 GiB, so offsets need all 64 bits of the request. Small, so that blocks are
     * overwritten often (stale data shows) and read-back after a restart (without a cache, one GET per block
     * from a different small segment) stays short.
     */
    private static final long FIRST_BLOCK = (4L << 30) / CrashModel.BLOCK_BYTES + 1;
    private static final int REGION_BLOCKS = 2048;
    private static final int READ_CHUNK_BYTES = 256 << 10;
    private static final int QUEUE_DEPTH = 8;
    private static final int STARTS_IN_A_ROW = 4;
    private static final long FINAL_FLUSH_SECONDS = 120;

    /** What to run: seed, length of the fault phase, planned kills, fault rates and the hang threshold. */
    record Settings(long seed, long faultSeconds, int kills, Rates rates, long hangSeconds) {
        String replay() {
            return "seed " + seed + " (replay: -Dhyperfile.soak.seed=" + seed + ")";
        }
    }

    private enum Verified { OK, BAD, RETRY }

    private final Path dir;
    private final S3Backend.Backend s3;
    private final String bucket;
    private final FaultyS3Proxy proxy;
    private final Settings settings;
    private final SoakFigures figures = new SoakFigures();
    private final CrashModel model = new CrashModel(FIRST_BLOCK, REGION_BLOCKS);
    private final Random random;
    private ServerProcess server;
    private NbdTestClient client;

    FaultSoak(Path dir, S3Backend.Backend s3, String bucket, FaultyS3Proxy proxy, Settings settings) {
        this.dir = dir;
        this.s3 = s3;
        this.bucket = bucket;
        this.proxy = proxy;
        this.settings = settings;
        this.random = new Random(settings.seed());
    }

    /** Runs the soak and returns its figures (problems included); throws only when the harness itself fails. */
    SoakFigures run() throws IOException, InterruptedException {
        List<String> create = new ArrayList<>(List.of("volume", "create", VOLUME, "--size", "8G"));
        create.addAll(storeArgs(s3.endpoint().uri().toString())); // no faults for the set-up
        Commands.hyperfile(dir, environment(), create.toArray(String[]::new)).orThrow();
        long faultNanos = TimeUnit.SECONDS.toNanos(settings.faultSeconds());
        List<Long> killAt = new ArrayList<>();
        for (int i = 0; i < settings.kills(); i++) {
            killAt.add((long) (faultNanos * (0.05 + 0.9 * random.nextDouble())));
        }
        killAt.sort(null);
        long start = System.nanoTime();
        proxy.setRates(settings.rates());
        try {
            if (!restart()) {
                return figures;
            }
            // Kill points count streaming time only: restarts and verifications do not eat the fault phase.
            int nextKill = 0;
            long streamed = 0;
            long wallCapNanos = 3 * faultNanos + TimeUnit.SECONDS.toNanos(60);
            while (streamed < faultNanos) {
                if (System.nanoTime() - start > wallCapNanos) {
                    figures.problem(String.format("the fault phase was cut short after %d s wall clock, with %d of %d s"
                            + " streamed: restarts took too long", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                            TimeUnit.NANOSECONDS.toSeconds(streamed), settings.faultSeconds()));
                    break;
                }
                boolean planned = nextKill < killAt.size();
                long boundary = planned ? killAt.get(nextKill) : faultNanos;
                long streamStart = System.nanoTime();
                SoakStream.Outcome outcome = new SoakStream(server, client, model, figures, random,
                        TimeUnit.SECONDS.toNanos(settings.hangSeconds()), QUEUE_DEPTH, FLUSH_EVERY)
                        .run(streamStart + Math.max(0, boundary - streamed), planned);
                streamed += System.nanoTime() - streamStart;
                if (outcome == SoakStream.Outcome.TIME && !planned) {
                    break; // the fault phase is over and this server still serves
                }
                if (outcome == SoakStream.Outcome.TIME) {
                    nextKill++;
                    figures.plannedKills.incrementAndGet();
                }
                System.out.printf("  %5.1f s (%5.1f s streamed): %s; kill -9 and restart%n",
                        (System.nanoTime() - start) / 1e9, streamed / 1e9,
                        outcome == SoakStream.Outcome.TIME ? "planned kill" : outcome);
                figures.restarts.incrementAndGet();
                if (!restart()) {
                    return figures;
                }
            }
            figures.faultSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            finalPhase();
            return figures;
        } finally {
            proxy.setRates(Rates.NONE);
            proxy.releaseStalls();
            stopServer();
            if (figures.faultSeconds == 0) {
                figures.faultSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            }
            figures.faults = proxy.injected();
            figures.stalls = proxy.stalls();
            figures.proxiedRequests = proxy.requests();
            figures.writesVerified = model.writesVerified();
            figures.selfFences = countFencedServers();
        }
    }

    /**
     * Faults off, stalls released: a FLUSH must then succeed (EIOs while the engine retries are allowed), every
     * acknowledged write must read back from the running server, and again after kill -9 and a restart.
     */
    private void finalPhase() throws InterruptedException {
        proxy.setRates(Rates.NONE);
        proxy.releaseStalls();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FINAL_FLUSH_SECONDS);
        while (true) {
            if (System.nanoTime() > deadline) {
                figures.problem("with faults off, no FLUSH succeeded within " + FINAL_FLUSH_SECONDS + " s; log "
                        + server.log());
                return;
            }
            figures.flushesSent.incrementAndGet();
            try {
                client.flush().get(settings.hangSeconds(), TimeUnit.SECONDS);
                figures.flushesAcked.incrementAndGet();
                break;
            } catch (TimeoutException e) {
                figures.hang("FLUSH", "the final FLUSH (faults off) unanswered for " + settings.hangSeconds() + " s");
                if (!restart()) {
                    return;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof NbdTestClient.NbdErrorException nbd) {
                    figures.error("FLUSH", nbd.error);
                } else {
                    figures.connectionsLost.incrementAndGet();
                }
                if (!(e.getCause() instanceof NbdTestClient.NbdErrorException) || fenced(server)) {
                    if (!restart()) {
                        return;
                    }
                    continue;
                }
                TimeUnit.MILLISECONDS.sleep(250); // back off between retries, as an application would
            }
        }
        model.everythingAcknowledgedIsDurable();
        if (verify("the running server after the final FLUSH") != Verified.OK) {
            figures.problem("the running server did not read back every acknowledged write after the final FLUSH");
            return;
        }
        figures.plannedKills.incrementAndGet();
        figures.restarts.incrementAndGet();
        restart();
    }

    /** Kills the current server (if any), starts a new one, connects and verifies; false if the run must stop. */
    private boolean restart() throws InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= STARTS_IN_A_ROW; attempt++) {
            stopServer();
            long started = System.nanoTime();
            try {
                server = ServerProcess.start(dir, environment(), serveArgs().toArray(String[]::new));
                client = NbdTestClient.connect("127.0.0.1", server.port(), VOLUME);
            } catch (IOException e) {
                figures.serverStartFailures.incrementAndGet();
                last = e;
                continue;
            }
            long serving = System.nanoTime();
            Verified v = verify("after restart, server log " + server.log());
            System.out.printf("    %s: serving after %.1f s, verified in %.1f s: %s%n", server.log().getFileName(),
                    (serving - started) / 1e9, (System.nanoTime() - serving) / 1e9, v);
            if (v == Verified.OK) {
                return true;
            }
            if (v == Verified.BAD) {
                return false;
            }
        }
        figures.problem("no server started and answered the verification " + STARTS_IN_A_ROW + " times in a row"
                + (last == null ? "" : ": " + last.getMessage()));
        return false;
    }

    /**
     * Reads the region back and checks it against the model. BAD (a problem is recorded) when blocks are lost or
     * wrong; RETRY when the reads fail or do not finish (counted as an error or a hang).
     */
    private Verified verify(String where) throws InterruptedException {
        int regionBytes = model.blocks() * CrashModel.BLOCK_BYTES;
        byte[] region = new byte[regionBytes];
        CompletableFuture<?>[] reads = new CompletableFuture<?>[regionBytes / READ_CHUNK_BYTES];
        Semaphore window = new Semaphore(QUEUE_DEPTH);
        AtomicLong slowestNanos = new AtomicLong();
        long limitSeconds = 3 * settings.hangSeconds();
        try {
            for (int i = 0; i < reads.length; i++) {
                if (!window.tryAcquire(limitSeconds, TimeUnit.SECONDS)) {
                    throw new TimeoutException();
                }
                int at = i * READ_CHUNK_BYTES;
                long sent = System.nanoTime();
                reads[i] = client.read(model.firstBlock() * CrashModel.BLOCK_BYTES + at, READ_CHUNK_BYTES)
                        .whenComplete((data, e) -> {
                            slowestNanos.accumulateAndGet(System.nanoTime() - sent, Math::max);
                            window.release();
                        })
                        .thenAccept(data -> System.arraycopy(data, 0, region, at, READ_CHUNK_BYTES));
            }
            // A stalled GET may hold a read past the hang threshold: wait longer, count the hang, then judge.
            CompletableFuture.allOf(reads).get(limitSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            figures.hang("READ", "a READ of the region unanswered for " + limitSeconds + " s " + where);
            return Verified.RETRY;
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof CompletionException ce ? ce.getCause() : e.getCause();
            if (c instanceof NbdTestClient.NbdErrorException nbd) {
                figures.error("READ", nbd.error);
            } else {
                figures.connectionsLost.incrementAndGet();
            }
            return Verified.RETRY;
        }
        long slowest = TimeUnit.NANOSECONDS.toSeconds(slowestNanos.get());
        if (slowest >= settings.hangSeconds()) {
            figures.hang("READ", "a READ of the region took " + slowest + " s " + where);
        }
        figures.verifications.incrementAndGet();
        int bad = model.badBlocks(region);
        if (bad > 0) {
            figures.lostOrWrongBlocks += bad;
            CrashModel.Verification[] stats = new CrashModel.Verification[1];
            figures.problem(bad + " lost or wrong blocks " + where + "; the first: " + model.verify(region, stats));
            return Verified.BAD;
        }
        CrashModel.Verification[] stats = new CrashModel.Verification[1];
        String problem = model.verify(region, stats);
        if (problem != null) {
            figures.problem("verification " + where + ": " + problem); // badBlocks and verify disagree: a harness bug
            return Verified.BAD;
        }
        return Verified.OK;
    }

    private void stopServer() throws InterruptedException {
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // the server is gone or going
            }
            client = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Whether this server's log says it fenced itself. */
    static boolean fenced(ServerProcess server) {
        try {
            return Files.readString(server.log(), StandardCharsets.UTF_8).contains(FENCE_LINE);
        } catch (IOException e) {
            return false;
        }
    }

    /** Self-fences over the run: servers whose log says {@value #FENCE_LINE} (each serves the one volume). */
    private long countFencedServers() {
        try (Stream<Path> logs = Files.list(dir)) {
            long n = 0;
            for (Path log : logs.filter(p -> p.getFileName().toString().matches("serve-\\d+\\.log")).toList()) {
                n += Files.readString(log, StandardCharsets.UTF_8).contains(FENCE_LINE) ? 1 : 0;
            }
            return n;
        } catch (IOException e) {
            figures.problem("could not read the server logs: " + e);
            return -1;
        }
    }

    private List<String> storeArgs(String endpoint) {
        return List.of("--store", "s3://" + bucket + "/volumes", "--endpoint", endpoint, "--path-style");
    }

    private List<String> serveArgs() {
        List<String> args = new ArrayList<>(storeArgs(proxy.endpoint().toString()));
        // No local read cache: the soak is about the S3 failure model, and after kill -9 the cache's recovery (20-30 s
        // on a 2-core CI machine) would dominate every restart and delay the first reads.
        args.add("--cache-dir=none");
        args.add(VOLUME);
        return args;
    }

    private Map<String, String> environment() {
        S3Backend.Endpoint e = s3.endpoint();
        return Map.of("AWS_ACCESS_KEY_ID", e.accessKey(), "AWS_SECRET_ACCESS_KEY", e.secretKey(), "AWS_REGION", e.region());
    }
}
