package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.NbdTestClient.Options;
import io.hyperfile.nbd.testing.ServerFixture;
import io.hyperfile.nbd.testing.TestVolumes;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Volume and store failures reach the client as the style guide's error codes; the connection stays usable. */
class NbdFailureIT {
    private static final long SIZE = 64L << 20;

    private static byte[] data(int n) {
        byte[] d = new byte[n];
        new Random(n).nextBytes(d);
        return d;
    }

    @Test
    void storeFailuresAreEioAndTheConnectionCarriesOn() throws Exception {
        FlakyObjectStore store = new FlakyObjectStore(new InMemoryObjectStore());
        try (ServerFixture f = new ServerFixture(store)) {
            f.addVolume("disk", SIZE);
            f.start();
            for (Options o : new Options[] {Options.KERNEL, Options.LIBNBD}) {
                try (NbdTestClient c = NbdTestClient.connect(f.port(), "disk", o)) {
                    byte[] d = data(1 << 20);
                    assertTrue(c.write(0, d).ok());
                    assertTrue(c.flush().ok());
                    FaultRule getFails = store.add(FaultRule.on(FlakyObjectStore.Op.GET, ".*seg/.*", FaultRule.always(),
                            FaultAction.fail(() -> new StorageException("seg", FailureCategory.UNKNOWN, "injected GET failure"))));
                    NbdTestClient.Reply r = c.read(0, 1 << 20);
                    assertEquals(NbdError.EIO.code(), r.error());
                    if (o.structured()) {
                        assertTrue(r.message().contains("injected GET failure"), r.message());
                    }
                    store.remove(getFails);
                    assertArrayEquals(d, c.read(0, 1 << 20).data());

                    FaultRule uploadFails = store.add(FaultRule.on(FlakyObjectStore.Op.CREATE, ".*seg/.*", FaultRule.always(),
                            FaultAction.fail(() -> new StorageException("seg", FailureCategory.UNKNOWN, "injected PUT failure"))));
                    assertTrue(c.write(4 << 20, d).ok(), "buffered writes still succeed");
                    assertEquals(NbdError.EIO.code(), c.flush().error());
                    assertEquals(NbdError.EIO.code(), c.send(CMD_WRITE, CMD_FLAG_FUA, 8 << 20, 4096, data(4096)).get().error());
                    store.remove(uploadFails);
                    assertTrue(c.flush().ok(), "a later flush retries the upload");
                    assertArrayEquals(d, c.read(4 << 20, 1 << 20).data());
                }
            }
        }
    }

    @Test
    void aFencedVolumeAnswersEio() throws Exception {
        InMemoryObjectStore backend = new InMemoryObjectStore();
        FlakyObjectStore store = new FlakyObjectStore(backend);
        try (ServerFixture f = new ServerFixture(store)) {
            f.addVolume("disk", SIZE);
            f.start();
            try (NbdTestClient c = NbdTestClient.connect(f.port(), "disk", Options.LIBNBD)) {
                // Another writer gets each segment key first, with its own bytes: a real takeover (a fake
                // "exists" would be read back, found missing, and retried as the transient failure it is).
                store.add(FaultRule.on(FlakyObjectStore.Op.CREATE, ".*seg/.*", FaultRule.always(), new FaultAction() {
                    @Override
                    public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key,
                            Supplier<CompletableFuture<T>> proceed) {
                        backend.put(key, ByteBuffer.wrap(new byte[] {1, 2, 3})).join();
                        return proceed.get();
                    }
                }));
                assertTrue(c.write(0, data(4096)).ok());
                assertEquals(NbdError.EIO.code(), c.flush().error(), "another writer took over");
                assertEquals(NbdError.EIO.code(), c.write(0, data(4096)).error());
            }
        }
    }

    @Test
    void aClosedVolumeAnswersEshutdown() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            Volume v = f.addVolume("disk", SIZE);
            f.start();
            try (NbdTestClient c = NbdTestClient.connect(f.port(), "disk", Options.KERNEL)) {
                TestVolumes.close(v);
                assertEquals(NbdError.ESHUTDOWN.code(), c.read(0, 4096).error());
                assertEquals(NbdError.ESHUTDOWN.code(), c.write(0, data(4096)).error());
                assertEquals(NbdError.ESHUTDOWN.code(), c.flush().error());
            }
        }
    }
}
