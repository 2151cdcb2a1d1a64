package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.NbdTestClient;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code serve}'s read-only serving in process: a read-only volume is opened without a claim, refuses writes with
 * EPERM, changes nothing in the store, and never fences the writer that has the volume open elsewhere.
 */
class ServeAccessIT {
    private static final long SIZE = 64L << 20;
    private static final int DATA = 64 << 10;

    private static byte[] pattern(int seed) {
        byte[] b = new byte[DATA];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Every object with its size and time: a rewrite of any object would show. */
    private static Set<String> keys(InMemoryObjectStore store) {
        return new TreeSet<>(store.listAll("", null).join().stream().map(o -> o.key() + " " + o.size() + " " + o.lastModified())
                .toList());
    }

    @Test
    @Timeout(120)
    void aReadOnlyVolumeRefusesWritesChangesNothingAndNeverFencesTheWriter() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        VolumeCatalog catalog = new VolumeCatalog(backing);
        catalog.create("disk0", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        catalog.create("disk1", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        Volume writer = catalog.open("disk0", VolumeConfig.DEFAULT).join();
        byte[] first = pattern(1);
        writer.write(0, ByteBuffer.wrap(first)).join();
        writer.flush().join();

        StringWriter out = new StringWriter();
        ServeCommand.Running running = ServeCommand.start(backing, List.of("disk0", "disk1"), List.of(), VolumeConfig.DEFAULT,
                ServerConfig.builder().port(0).build(), AccessConfig.OPEN, "disk0"::equals, io.hyperfile.nbd.tls.ServerTls.OFF, OpenRetryPolicy.DEFAULT,
                new ManualScheduler(), GcService.disabled(), Duration.ofSeconds(60), new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true));
        try {
            Set<String> before = keys(backing);
            try (NbdTestClient c = NbdTestClient.connect("127.0.0.1", running.port(), "disk0")) {
                assertArrayEquals(first, c.read(0, DATA).get(30, TimeUnit.SECONDS), "serves the writer's flushed data");
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> c.write(0, pattern(2), 0).get(30, TimeUnit.SECONDS));
                assertEquals("NBD error 1", refused.getCause().getMessage(), "EPERM");
                c.flush().get(30, TimeUnit.SECONDS);
                assertArrayEquals(first, c.read(0, DATA).get(30, TimeUnit.SECONDS));
            }
            assertEquals(before, keys(backing), "serving read-only wrote nothing: no claim, no hint, no segment");

            // The writer was not fenced: it still writes and flushes.
            byte[] second = pattern(3);
            writer.write(0, ByteBuffer.wrap(second)).join();
            writer.flush().join();
            assertTrue(keys(backing).size() > before.size());

            try (NbdTestClient c = NbdTestClient.connect("127.0.0.1", running.port(), "disk1")) {
                c.write(0, second, 0).get(30, TimeUnit.SECONDS); // the other volume is writable
            }
            writer.close().join();
            Volume reopened = catalog.open("disk0", VolumeConfig.DEFAULT).join();
            byte[] now = new byte[DATA];
            reopened.read(0, ByteBuffer.wrap(now)).join();
            reopened.close().join();
            assertArrayEquals(second, now, "the writer's last data survived; the read-only server changed nothing");
        } finally {
            running.stop(); // closes the store
        }
    }
}
