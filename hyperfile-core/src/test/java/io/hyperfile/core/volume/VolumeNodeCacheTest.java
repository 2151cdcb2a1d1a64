package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The node cache holds the published index, not the versions of its nodes that each flush window replaced: those
 * are dropped once the new index is published (they used to stay until the cache's LRU order reached them, filling
 * it with garbage that lived long enough to be copied by every young collection).
 */
class VolumeNodeCacheTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 8192;

    @Test
    void replacedNodesLeaveTheCacheOnceTheNewIndexIsPublished() {
        ObjectStore store = new InMemoryObjectStore();
        await(Volume.create(store, "v", new VolumeOptions((long) BLOCKS * BLOCK, BLOCK, 8 << 20, 1024), Clock.systemUTC()));
        VolumeConfig config = VolumeConfig.builder().nodeCacheBytes(64L << 20).build();
        Volume v = await(Volume.open(store, "v", "t", config));
        Random rnd = new Random(7);
        byte[][] model = new byte[BLOCKS][];
        for (int window = 0; window < 12; window++) {
            for (int i = 0; i < 400; i++) { // scattered: most leaves of the 1 KiB-node tree change in every window
                int block = rnd.nextInt(BLOCKS);
                byte[] data = new byte[BLOCK];
                rnd.nextBytes(data);
                await(v.write((long) block * BLOCK, ByteBuffer.wrap(data)));
                model[block] = data;
            }
            await(v.flush());
            VolumeStats.IndexFigures index = v.stats().index();
            assertTrue(index.cachedNodes() <= index.nodes(), "window " + window + ": " + index);
        }
        VolumeStats stats = v.stats();
        assertTrue(stats.index().nodes() > 100, "a tree of many nodes: " + stats.index());
        assertTrue(stats.indexNodesWritten() > 5 * stats.index().nodes(),
                "each window wrote new versions of most nodes: " + stats.indexNodesWritten() + " written, " + stats.index());
        for (int block = 0; block < BLOCKS; block++) {
            ByteBuffer got = ByteBuffer.allocate(BLOCK);
            await(v.read((long) block * BLOCK, got));
            assertArrayEquals(model[block] == null ? new byte[BLOCK] : model[block], got.array(), "block " + block);
        }
        await(v.close());
    }
}
