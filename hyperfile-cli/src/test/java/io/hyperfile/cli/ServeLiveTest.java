package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.NbdTestClient;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} in process, on a local directory store that the commands ({@code volume delete}, {@code snapshot},
 * {@code gc}, {@code import}) also use, as another process would: rescans export what was created and withdraw what
 * was deleted, and the lease keeps the commands from deleting or fencing a served volume. Rescans are called
 * directly (the future completes when the rescan is done) and the timers run in virtual time: nothing sleeps.
 */
@Timeout(120)
class ServeLiveTest {
    private static final int SIZE = 4 << 20;
    private static final int DATA = 256 << 10;

    @TempDir
    Path dir;

    private ObjectStore backing;
    private FlakyObjectStore store;
    private VolumeCatalog catalog;
    private final ManualScheduler scheduler = new ManualScheduler();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private ServeCommand.Running running;

    @BeforeEach
    void createStore() {
        backing = new LocalDirectoryObjectStore(dir.resolve("store"));
        store = new FlakyObjectStore(backing);
        catalog = new VolumeCatalog(backing);
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.stop();
        } else {
            store.close();
        }
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[DATA];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Creates volume {@code name} holding {@code data} at offset 0; returns the checkpoint that holds it. */
    private long create(String name, byte[] data) {
        catalog.create(name, VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        Volume v = catalog.open(name, VolumeConfig.DEFAULT).join();
        try {
            v.write(0, ByteBuffer.wrap(data)).join();
            v.flush().join();
            return v.durableSeq().join();
        } finally {
            v.close().join();
        }
    }

    /** Serves {@code names} (empty: every volume), rescanning only when told, volume timers in virtual time. */
    private int serve(List<String> names) throws Exception {
        VolumeConfig config = VolumeConfig.builder().scheduler(scheduler).build();
        List<String> all = names.isEmpty() ? catalog.list().join() : names;
        running = ServeCommand.start(store, all, List.of(), config, ServerConfig.builder().port(0).build(),
                new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ZERO), scheduler, GcService.disabled(),
                Duration.ofSeconds(60), new PrintWriter(out, true), new PrintWriter(err, true),
                new LiveServing(names, Duration.ZERO, true, LeaseKeeper.RENEW_PERIOD, Clock.systemUTC()));
        return running.port();
    }

    private ExportRescan.Changes rescan() throws Exception {
        return running.rescan().get(60, TimeUnit.SECONDS);
    }

    private static byte[] read(int port, String export) throws Exception {
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, export)) {
            return client.read(0, DATA).get(30, TimeUnit.SECONDS);
        }
    }

    /** Runs {@code hyperfile ARGS... --store file:STORE} in this JVM; returns its exit code, its stderr in {@code cmdErr}. */
    private int hyperfile(StringWriter cmdErr, String... args) {
        String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--store", "file:" + dir.resolve("store"))).toArray(String[]::new);
        return Hyperfile.run(full, new PrintWriter(new StringWriter(), true), new PrintWriter(cmdErr, true));
    }

    @Test
    void volumesAndSnapshotsCreatedWhileServingAreExportedByARescanAndDeletedSnapshotsWithdrawn() throws Exception {
        byte[] a = pattern(1);
        long seq = create("a", a);
        int port = serve(List.of());
        assertThrows(IOException.class, () -> read(port, "a@s1"));

        byte[] b = pattern(2);
        create("b", b);
        Snapshots.create(backing, "a/", "s1", seq).join();
        ExportRescan.Changes changes = rescan();
        assertEquals(List.of("b", "a@s1"), changes.added(), changes.summary());
        assertEquals(List.of(), changes.withdrawn());
        assertArrayEquals(a, read(port, "a@s1"));
        assertArrayEquals(b, read(port, "b"));
        assertTrue(Leases.read(backing, "b/").join().isPresent(), "a volume opened by a rescan is held like the others");

        StringWriter cmdErr = new StringWriter();
        assertEquals(0, hyperfile(cmdErr, "snapshot", "delete", "a", "s1"), cmdErr.toString());
        changes = rescan();
        assertEquals(List.of("a@s1"), changes.withdrawn(), changes.summary());
        IOException gone = assertThrows(IOException.class, () -> read(port, "a@s1"));
        assertTrue(gone.getMessage().endsWith("export 'a@s1' is no longer served: the snapshot was deleted"), gone.getMessage());
        assertArrayEquals(a, read(port, "a"), "the volume itself is untouched");
        assertEquals("no change", rescan().summary());
        assertEquals("", err.toString(), "nothing went wrong");
    }

    @Test
    void aServedVolumeCannotBeDeletedNorCollectedNorImportedIntoUntilTheServerStops() throws Exception {
        create("a", pattern(1));
        int port = serve(List.of("a"));
        VolumeLease lease = Leases.read(backing, "a/").join().orElseThrow();
        assertEquals("127.0.0.1:" + port, lease.listenAddress());

        StringWriter cmdErr = new StringWriter();
        assertEquals(1, hyperfile(cmdErr, "volume", "delete", "a"));
        String line = cmdErr.toString().strip();
        assertTrue(line.matches("hyperfile: volume a is served by host .+, pid " + ProcessHandle.current().pid() + ", serving on 127.0.0.1:"
                + port + " \\(lease renewed \\d+ s ago\\); stop that server first, or add --force to delete it anyway"), line);
        assertEquals(1, line.lines().count(), line);
        assertTrue(catalog.exists("a").join());

        cmdErr = new StringWriter();
        assertEquals(1, hyperfile(cmdErr, "gc", "a", "--grace", "0"));
        assertTrue(cmdErr.toString().contains("; stop that server first, or add --force to collect it (the server would be fenced)"
                + " anyway"), cmdErr.toString());
        java.nio.file.Path image = dir.resolve("image");
        java.nio.file.Files.write(image, new byte[4096]);
        cmdErr = new StringWriter();
        assertEquals(1, hyperfile(cmdErr, "import", image.toString(), "a"));
        assertTrue(cmdErr.toString().contains("add --force to import into it"), cmdErr.toString());
        cmdErr = new StringWriter();
        assertEquals(0, hyperfile(cmdErr, "gc", "a", "--dry-run"), "a dry run only reads: " + cmdErr);
        assertArrayEquals(pattern(1), read(port, "a"), "the server was not disturbed");

        running.stop(); // closes the store too
        running = null;
        try (ObjectStore after = new LocalDirectoryObjectStore(dir.resolve("store"))) {
            assertFalse(Leases.read(after, "a/").join().isPresent(), "a clean stop deletes the lease");
            cmdErr = new StringWriter();
            assertEquals(0, hyperfile(cmdErr, "volume", "delete", "a"), cmdErr.toString());
            assertEquals(List.of(), after.listAll("a/", null).join());
        }
    }

    @Test
    void aForcedDeleteWithdrawsTheVolumeAndNothingIsWrittenUnderItsPrefixAfterwards() throws Exception {
        create("a", pattern(1));
        int port = serve(List.of("a"));
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, "a")) {
            StringWriter cmdErr = new StringWriter();
            assertEquals(0, hyperfile(cmdErr, "volume", "delete", "a", "--force"), cmdErr.toString());
            assertTrue(cmdErr.toString().startsWith("hyperfile: warning: volume a is served by "), cmdErr.toString());
            client.write(0, pattern(3), 0).get(30, TimeUnit.SECONDS); // buffered by the server: the flush timer is virtual

            ExportRescan.Changes changes = rescan();
            assertEquals(List.of("a"), changes.withdrawn(), changes.summary());
            ExecutionException next = assertThrows(ExecutionException.class, () -> client.read(0, 4096).get(30, TimeUnit.SECONDS));
            assertEquals("NBD error 108", next.getCause().getMessage(), "ESHUTDOWN on the connection that was open");
        }
        scheduler.advance(Duration.ofMinutes(5)); // flush timers and lease renewals, had they survived the withdrawal
        assertEquals(List.of(), backing.listAll("a/", null).join(), "nothing written under the deleted volume's prefix");
        IOException gone = assertThrows(IOException.class, () -> read(port, "a"));
        assertTrue(gone.getMessage().endsWith("export 'a' is no longer served: the volume was deleted"), gone.getMessage());

        create("a", pattern(4)); // a new volume by that name: a server given that name serves it again
        assertEquals(List.of("a"), rescan().added());
        assertArrayEquals(pattern(4), read(port, "a"));
    }

    @Test
    void aRescanWhoseListingFailsChangesNothing() throws Exception {
        create("a", pattern(1));
        int port = serve(List.of());
        create("b", pattern(2));
        FaultRule down = store.add(FaultRule.on(FlakyObjectStore.Op.LIST, ".*", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("list"))));
        ExportRescan.Changes changes = rescan();
        assertTrue(changes.failed(), changes.summary());
        assertEquals(List.of("a"), running.volumes().volumes(VolumeExports.Status.SERVED));
        assertArrayEquals(pattern(1), read(port, "a"));
        store.remove(down);
        assertEquals(List.of("b"), rescan().added());
    }

    @Test
    void aBadRescanIntervalIsOneLineAndExit2() {
        StringWriter cmdErr = new StringWriter();
        assertEquals(2, hyperfile(cmdErr, "serve", "--rescan-interval", "5x"));
        assertEquals("hyperfile: invalid --rescan-interval '5x': use 0 or a number with ms, s, m, h or d (e.g. 30s, 10m, 1h)",
                cmdErr.toString().lines().findFirst().orElse(""));
    }
}
