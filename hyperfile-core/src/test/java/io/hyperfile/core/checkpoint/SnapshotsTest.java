package io.hyperfile.core.checkpoint;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotsTest {
    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Test
    void createWritesAChecksummedRecordThatResolves() {
        await(Snapshots.create(store, "v/", "first", 42));
        byte[] stored = await(store.get("v/snap/first", ByteRange.all())).toByteArray();
        byte[] expected = new byte[SnapshotRecord.BYTES];
        new SnapshotRecord(42).encode().get(expected);
        assertArrayEquals(expected, stored);
        assertEquals(42L, await(Snapshots.resolve(store, "v/", "first")));
        failure(ObjectExistsException.class, Snapshots.create(store, "v/", "first", 43));
        failure(ObjectNotFoundException.class, Snapshots.resolve(store, "v/", "second"));
    }

    @Test
    void snapshotsOfOlderBuildsStillResolve() {
        putAscii("v/snap/old", "17\n");
        await(Snapshots.create(store, "v/", "new", 20));
        assertEquals(17L, await(Snapshots.resolve(store, "v/", "old")));
        assertEquals(Map.of("new", 20L, "old", 17L), await(Snapshots.list(store, "v/")));
    }

    @Test
    void aGarbledSnapshotIsCorruptionNamingItsKey() {
        await(Snapshots.create(store, "v/", "good", 3));
        byte[] record = new byte[SnapshotRecord.BYTES];
        new SnapshotRecord(5).encode().get(record);
        record[13] ^= 0x10;
        await(store.put("v/snap/bad", ByteBuffer.wrap(record)));

        CorruptionException e = failure(CorruptionException.class, Snapshots.resolve(store, "v/", "bad"));
        assertEquals("v/snap/bad", e.key());
        assertEquals(true, e.getMessage().startsWith("corrupt data in v/snap/bad at offset 20: snapshot record checksum mismatch"),
                e.getMessage());
        assertEquals("v/snap/bad", failure(CorruptionException.class, Snapshots.list(store, "v/")).key());
        // The names can still be listed, so that callers can use the good snapshots.
        assertEquals(List.of("bad", "good"), await(Snapshots.names(store, "v/")));
        assertEquals(3L, await(Snapshots.resolve(store, "v/", "good")));
    }

    private void putAscii(String key, String text) {
        await(store.put(key, ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII))));
    }
}
