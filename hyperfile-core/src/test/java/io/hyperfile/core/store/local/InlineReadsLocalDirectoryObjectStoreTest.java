package io.hyperfile.core.store.local;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hyperfile.core.store.AbstractObjectStoreContractTest;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract with reads on the caller's thread (as on tmpfs), and what that mode changes. */
class InlineReadsLocalDirectoryObjectStoreTest extends AbstractObjectStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore createStore() {
        return new LocalDirectoryObjectStore(dir.resolve("store"), 4, true);
    }

    @Test
    void smallRangedReadsCompleteBeforeGetReturns() {
        byte[] bytes = random(64 << 10);
        await(store.put("inline/a", ByteBuffer.wrap(bytes)));
        CompletableFuture<ObjectData> f = store.get("inline/a", ByteRange.of(4096, 4100));
        assertTrue(f.isDone(), "a small ranged read on an inline store is complete when get returns");
        ObjectData d = f.join();
        assertEquals(4096, d.offset());
        assertEquals(ByteBuffer.wrap(bytes, 4096, 4100), d.data());
        CompletableFuture<ObjectData> missing = store.get("inline/none", ByteRange.of(0, 4096));
        assertTrue(missing.isDone());
        failure(ObjectNotFoundException.class, missing); // a failed future, not a throw
    }

    @Test
    void largeReadsReturnTheRightBytes() {
        byte[] bytes = random(3 << 20);
        await(store.put("inline/big", ByteBuffer.wrap(bytes)));
        int length = LocalDirectoryObjectStore.INLINE_LIMIT_BYTES * 4;
        ObjectData big = await(store.get("inline/big", ByteRange.of(12345, length)));
        assertEquals(12345, big.offset());
        assertEquals(ByteBuffer.wrap(bytes, 12345, length), big.data());
        assertEquals(3 << 20, big.objectSize());
        // A direct buffer per read would be freed only by a collection: at speed the JVM hits its direct-memory
        // limit and answers with full collections (docs/PERFORMANCE.md, "Local-directory reads").
        assertFalse(big.data().isDirect(), "reads hand out heap buffers");
    }

    @Test
    void memoryBackedDirectoriesAreRecognised(@TempDir Path disk) throws Exception {
        assumeTrue(!LocalDirectoryObjectStore.isMemoryBacked(disk), "the test's temporary directory is on tmpfs here");
        assertFalse(new LocalDirectoryObjectStore(disk.resolve("s")).readsInline(), "disk directories read on the pool");
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.getFileStore(shm).type().equals("tmpfs"), "no tmpfs at /dev/shm");
        assertTrue(LocalDirectoryObjectStore.isMemoryBacked(shm.resolve("hyperfile-not-created-yet/store")),
                "a directory still to be created on tmpfs counts as memory-backed");
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }
}
