package io.hyperfile.core.index;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Copy-on-write: a small change on a big tree writes only its path, and older snapshots keep their content. */
class BlockIndexSharingTest {
    private static final NodeLimits LIMITS = NodeLimits.defaults();
    private static final int EXTENTS = 100_000;

    private final Map<NodePointer, byte[]> stored = new HashMap<>();
    private final NodeCodec codec = new NodeCodec(LIMITS);
    private final NodeResolver resolver = p -> codec.decode(p, ByteBuffer.wrap(stored.get(p)));
    private BlockIndex big;

    @BeforeEach
    void buildBigTree() {
        MutableBlockIndex m = BlockIndex.empty(LIMITS).toMutable();
        for (long i = 0; i < EXTENTS; i++) {
            m.put(resolver, i * 4, 2, Location.data(1, i * 2 + (i % 2)));
        }
        SaveResult result = m.save(1, sink(1));
        big = result.index();
        assertEquals(big.stats().nodeCount(), result.nodesWritten());
        assertEquals(3, big.height());
    }

    private NodeSink sink(long seq) {
        long[] next = {0};
        return buf -> {
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            stored.put(new NodePointer(seq, next[0], bytes.length), bytes);
            next[0] += bytes.length;
            return next[0] - bytes.length;
        };
    }

    @Test
    void smallChangeWritesOnlyThePathAndSharesTheRest() {
        MutableBlockIndex m = big.toMutable();
        m.put(resolver, 200_002, 1, Location.data(2, 0));
        SaveResult result = m.save(2, sink(2));
        BlockIndex next = result.index();
        assertEquals(big.height(), result.nodesWritten());
        for (SaveResult.SavedNode saved : result.writtenNodes()) {
            assertEquals(2, saved.pointer().segmentSeq());
        }
        assertEquals(next.rootPointer(), result.writtenNodes().get(result.nodesWritten() - 1).pointer());

        Set<NodePointer> oldNodes = new HashSet<>(big.nodePointers(resolver));
        List<NodePointer> newNodes = next.nodePointers(resolver);
        assertEquals(big.stats().nodeCount(), oldNodes.size());
        assertEquals(next.stats().nodeCount(), newNodes.size());
        long fresh = newNodes.stream().filter(p -> !oldNodes.contains(p)).count();
        assertEquals(big.height(), fresh, "only the path is new, every other node is shared");

        assertEquals(List.of(new Run(200_001, 1, Location.data(1, 100_001)), Run.hole(200_002, 2)),
                big.lookup(resolver, 200_001, 3));
        assertEquals(List.of(new Run(200_001, 1, Location.data(1, 100_001)), new Run(200_002, 1, Location.data(2, 0)),
                Run.hole(200_003, 1)), next.lookup(resolver, 200_001, 3));
        assertEquals(EXTENTS, big.stats().extentCount());
        assertEquals(EXTENTS + 1, next.stats().extentCount());
    }

    @Test
    void unsavedNodesAreSharedByReferenceAndSnapshotsAreIndependent() {
        MutableBlockIndex m = big.toMutable();
        m.remove(resolver, 8, 2);
        BlockIndex first = m.snapshot();
        assertFalse(first.isSaved());
        assertNull(first.rootPointer());
        m.put(resolver, 8, 2, Location.ZERO);
        BlockIndex second = m.snapshot();
        assertEquals(List.of(Run.hole(8, 2)), first.lookup(resolver, 8, 2));
        assertEquals(List.of(new Run(8, 2, Location.ZERO)), second.lookup(resolver, 8, 2));
        assertEquals(List.of(new Run(8, 2, Location.data(1, 4))), big.lookup(resolver, 8, 2));

        InternalNode oldRoot = (InternalNode) big.root();
        InternalNode newRoot = (InternalNode) second.root();
        int shared = 0;
        for (int i = 0; i < newRoot.entryCount(); i++) {
            if (newRoot.pointer(i) != null && newRoot.pointer(i).equals(oldRoot.pointer(i))) {
                shared++;
            }
        }
        assertEquals(oldRoot.entryCount() - 1, shared);
    }

    @Test
    void savingNothingWritesNothing() {
        MutableBlockIndex m = big.toMutable();
        m.remove(resolver, 1, 1);
        m.put(resolver, 0, 2, Location.data(1, 0));
        assertTrue(m.isDirty(), "a no-op put on an unchanged range is skipped, but the remove made the tree dirty");
        MutableBlockIndex untouched = big.toMutable();
        untouched.put(resolver, 0, 1, Location.data(1, 0));
        untouched.remove(resolver, 2, 2);
        assertFalse(untouched.isDirty());
        SaveResult result = untouched.save(3, buf -> {
            throw new AssertionError("nothing to write");
        });
        assertEquals(0, result.nodesWritten());
        assertSame(big.root(), result.index().root());
        assertEquals(big.rootPointer(), result.index().rootPointer());
    }

    @Test
    void removingEverythingShrinksToAnEmptyIndex() {
        MutableBlockIndex m = big.toMutable();
        m.remove(resolver, 0, NodeLimits.MAX_BLOCKS);
        assertTrue(m.snapshot().isEmpty());
        SaveResult result = m.save(4, buf -> {
            throw new AssertionError("an empty index has no nodes");
        });
        assertEquals(new IndexStats(0, 0, 0, 0), result.index().stats());
        assertNull(result.index().rootPointer());
        assertEquals(EXTENTS, big.stats().extentCount());
    }

    @Test
    void deletingMostOfTheTreeKeepsItBalancedAndSavesFewNodes() {
        MutableBlockIndex m = big.toMutable();
        m.remove(resolver, 1_000, 398_000);
        BlockIndex shrunk = m.save(5, sink(5)).index();
        shrunk.verify(resolver);
        List<Extent> all = new ArrayList<>();
        shrunk.forEach(resolver, all::add);
        assertEquals(250 + 250, all.size());
        assertEquals(2, shrunk.height());
        assertEquals(new Extent(399_000, 2, Location.data(1, 199_500)), all.get(250));
    }
}
