package io.hyperfile.core.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.index.ChangedRun;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

/**
 * The diff of two checkpoints of a 1 TiB sparse volume with 10 MiB changed reads O(changed) index nodes, not
 * O(volume) or O(index): counted GETs through a counting store, against a bound from the number of writes and the
 * tree height, and against the size of the whole index.
 */
class DiffCostTest {
    @Test
    void theDiffOfTenMibInOneTibReadsNodesInProportionToTheChanges() {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        CountingStore store = new CountingStore(memory);
        // 1 KiB nodes: about 40 extents per leaf, so 20,000 base extents make a tree of three levels
        SparseDiffWorkload.Checkpoints cp = SparseDiffWorkload.run(memory, "big", 1024, 20_000, 7);
        store.reset();
        CheckpointDiff.Result d = CheckpointDiff.between(store, "big/", cp.a(), cp.b()).join();

        long changed = 0;
        for (ChangedRun r : d.changes().runs()) {
            changed += r.blockCount();
        }
        assertEquals(SparseDiffWorkload.CHANGE_WRITES * (long) SparseDiffWorkload.CHANGE_BYTES / SparseDiffWorkload.BLOCK,
                changed, "the changed blocks are the 40 writes of 256 KiB (" + d.changes().runs().size() + " runs)");
        VolumeDescriptor desc = VolumeDescriptor.decode("d", memory.get(SegmentKeys.descriptor("big/"), ByteRange.all()).join().data());
        int height = new SegmentReader(memory, "big/", desc.blockSizeBytes()).footer(cp.b()).join().height();
        long totalNodes = new SegmentReader(memory, "big/", desc.blockSizeBytes()).footer(cp.a()).join().extentCount() / 20 + 1;
        // per side, each write changes at most two leaves (it may split one) and their ancestors
        long bound = 2L * SparseDiffWorkload.CHANGE_WRITES * (height + 1);
        long nodes = d.changes().nodesRead();
        System.err.printf("diff cost: height %d, ~%d nodes in the index, %d read (bound %d), %d GETs, %d runs%n", height,
                totalNodes, nodes, bound, store.gets.get(), d.changes().runs().size());
        assertTrue(height >= 3, "the index has several levels: height " + height);
        assertTrue(nodes <= bound, "nodes read " + nodes + " <= " + bound);
        assertTrue(store.gets.get() <= nodes + 3, "GETs " + store.gets.get() + ": the descriptor, two footers, the nodes");
        assertTrue(nodes * 4 < totalNodes, "nodes read " + nodes + " is a small part of the index (~" + totalNodes + " nodes)");
    }
}
