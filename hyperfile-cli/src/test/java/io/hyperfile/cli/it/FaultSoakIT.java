package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.FaultyS3Proxy.Fault;
import io.hyperfile.cli.it.FaultyS3Proxy.Rates;
import io.hyperfile.core.store.s3.S3Backend;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault soak of the whole server (issue 11): {@code hyperfile serve} as a child process on the embedded S3Proxy,
 * behind a {@link FaultyS3Proxy} that answers 503 SlowDown, 500 InternalError, resets connections, applies requests
 * but answers 500, and stalls answers past any request timeout; a pipelined NBD client writes and flushes while the
 * server is killed with SIGKILL at seeded random points and restarted on the same store (see {@link FaultSoak}).
 * The figures go to the test output at the end of each test.
 *
 * <p>The server must never fence itself (nobody else writes), never leave a request unanswered past the hang
 * threshold, and never lose or change a block acknowledged before an acknowledged FLUSH. EIO on FLUSH during
 * faults is allowed (it is the honest answer during an outage), but a later successful FLUSH covers the writes
 * before it. A control run without faults checks the harness itself: it must find nothing at all.
 *
 * <p>System properties: {@code hyperfile.soak.seconds} (fault phase, default 75; the nightly profile runs 900),
 * {@code hyperfile.soak.kills} (planned kill -9, default 2), {@code hyperfile.soak.seed} (replay a run; the seed is
 * in every failure message), {@code hyperfile.soak.hang-seconds} and {@code hyperfile.soak.max-stalls}.
 */
class FaultSoakIT {
    private static final long SEED = Long.getLong("hyperfile.soak.seed", System.nanoTime());
    private static final long FAULT_SECONDS = Long.getLong("hyperfile.soak.seconds", 75);
    private static final int KILLS = Integer.getInteger("hyperfile.soak.kills", 2);
    /**
     * How long a request may stay unanswered before it counts as a hang: the volume's flush deadline
     * ({@code flush.deadline-millis}, 30 s: a FLUSH, or a write waiting for buffer memory, answers EIO by then) plus
     * a margin for the EIO to travel back on a loaded machine. Stalled S3 answers are held longer than this, so
     * that only a server that bounds its own waits (per-attempt store timeouts, flush deadlines) passes.
     */
    private static final long HANG_SECONDS = Long.getLong("hyperfile.soak.hang-seconds", 40);
    private static final long STALL_MILLIS = TimeUnit.SECONDS.toMillis(HANG_SECONDS + 15);
    private static final int MAX_STALLS = Integer.getInteger("hyperfile.soak.max-stalls", 3);
    /** 5% SlowDown, 1% InternalError, 1% resets, 1% applied-then-500 and a few stalls (at most MAX_STALLS). */
    private static final Rates FAULTS = new Rates(0.05, 0.01, 0.01, 0.01, 0.002, MAX_STALLS);
    private static final long CONTROL_SECONDS = 20;

    private static S3Backend.Backend s3;
    private String bucket;
    private FaultyS3Proxy proxy;

    /** Kept when a test fails: it holds every server's log (serve-N.log) and the cache. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @BeforeAll
    static void startS3Proxy() {
        s3 = S3Backend.startEmbeddedS3Proxy();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        bucket = s3.createBucket("soak");
        proxy = new FaultyS3Proxy(s3.endpoint().uri(), SEED, STALL_MILLIS);
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        s3.deleteBucket(bucket);
    }

    @Test
    void faultsNeverFenceHangOrLoseAcknowledgedWrites() throws Exception {
        FaultSoak.Settings settings = new FaultSoak.Settings(SEED, FAULT_SECONDS, KILLS, FAULTS, HANG_SECONDS);
        SoakFigures f = run("FaultSoakIT with faults", settings);
        String report = f.report("") + "  " + settings.replay() + ", logs in " + dir;
        assertAll(
                () -> assertTrue(f.problems().isEmpty(), "problems found" + report),
                () -> assertEquals(0, f.selfFences, "self-fences" + report),
                () -> assertEquals(0, f.hangs(), "hangs beyond " + HANG_SECONDS + " s" + report),
                () -> assertEquals(0, f.lostOrWrongBlocks, "lost or wrong blocks" + report),
                () -> assertTrue(f.writesVerified > 0, "no write was verified" + report),
                () -> assertTrue(f.faults.get(Fault.SLOW_DOWN) > 0 && f.faults.get(Fault.APPLIED_THEN_500) > 0,
                        "the proxy injected too few faults" + report));
        fsck(report);
    }

    /** The harness itself: without faults it must find nothing, and the server must not fail a single request. */
    @Test
    void withoutFaultsTheHarnessFindsNothing() throws Exception {
        FaultSoak.Settings settings = new FaultSoak.Settings(SEED, CONTROL_SECONDS, 1, Rates.NONE, HANG_SECONDS);
        SoakFigures f = run("FaultSoakIT control run without faults", settings);
        String report = f.report("") + "  " + settings.replay() + ", logs in " + dir;
        assertAll(
                () -> assertTrue(f.problems().isEmpty(), "problems found" + report),
                () -> assertEquals(0, f.selfFences, "self-fences" + report),
                () -> assertEquals(0, f.hangs(), "hangs" + report),
                () -> assertEquals(0, f.lostOrWrongBlocks, "lost or wrong blocks" + report),
                () -> assertEquals(0, f.errorsTotal(), "NBD errors without faults" + report),
                () -> assertEquals(0, f.serverStartFailures.get() + f.connectionsLost.get(), "failed starts or lost connections" + report),
                () -> assertEquals(0L, f.faults.values().stream().mapToLong(Long::longValue).sum(), "faults" + report),
                () -> assertEquals(2, f.plannedKills.get(), "planned kills (1 + the final one)" + report),
                () -> assertTrue(f.writesVerified > 0 && f.flushesAcked.get() > 0, "nothing verified" + report));
        fsck(report);
    }

    private SoakFigures run(String title, FaultSoak.Settings settings) throws Exception {
        System.out.printf("%s: %d s, %d kills, %s, hang threshold %d s, %s%n", title, settings.faultSeconds(),
                settings.kills(), settings.rates(), settings.hangSeconds(), settings.replay());
        SoakFigures figures = new FaultSoak(dir, s3, bucket, proxy, settings).run();
        System.out.println(figures.report(title + " (" + settings.replay() + "):"));
        return figures;
    }

    /** The store is consistent after the run (checked directly on S3Proxy, without faults). */
    private void fsck(String report) throws Exception {
        S3Backend.Endpoint e = s3.endpoint();
        Commands.Result fsck = Commands.hyperfile(dir, Map.of("AWS_ACCESS_KEY_ID", e.accessKey(),
                "AWS_SECRET_ACCESS_KEY", e.secretKey(), "AWS_REGION", e.region()), "fsck", FaultSoak.VOLUME,
                "--store", "s3://" + bucket + "/volumes", "--endpoint", e.uri().toString(), "--path-style");
        assertEquals(0, fsck.exitCode(), fsck + report);
    }
}
