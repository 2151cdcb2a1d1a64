package io.hyperfile.core.index;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NodeCacheTest {
    private static LeafNode leaf(long start) {
        return LeafNode.of(new Extent(start, 1, Location.ZERO));
    }

    private static NodePointer ptr(long offset) {
        return new NodePointer(1, offset, 11);
    }

    @Test
    void evictsTheLeastRecentlyUsedByBytes() {
        long each = leaf(0).heapBytes();
        NodeCache cache = new NodeCache(3 * each);
        cache.put(ptr(0), leaf(0));
        cache.put(ptr(1), leaf(1));
        cache.put(ptr(2), leaf(2));
        cache.get(ptr(0));
        cache.put(ptr(3), leaf(3));
        assertNull(cache.get(ptr(1)), "least recently used goes first");
        assertEquals(0, cache.get(ptr(0)).firstBlock());
        assertEquals(3, cache.nodeCount());
        assertEquals(3 * each, cache.sizeBytes());
        assertEquals(1, cache.evictions());
        assertEquals(2, cache.hits());
        assertEquals(1, cache.misses());
    }

    @Test
    void replacingAnEntryKeepsTheSizeRightAndInvalidateAllEmptiesIt() {
        NodeCache cache = new NodeCache(1 << 20);
        LeafNode second = leaf(5);
        cache.put(ptr(0), leaf(0));
        cache.put(ptr(0), second);
        assertSame(second, cache.get(ptr(0)));
        assertEquals(second.heapBytes(), cache.sizeBytes());
        cache.invalidateAll();
        assertEquals(0, cache.sizeBytes());
        assertNull(cache.get(ptr(0)));
    }

    @Test
    void removeAllDropsTheNodesNamedAndTheirBytes() {
        NodeCache cache = new NodeCache(1 << 20);
        cache.put(ptr(0), leaf(0));
        cache.put(ptr(1), leaf(1));
        cache.put(ptr(2), leaf(2));
        cache.removeAll(java.util.List.of(ptr(0), ptr(2), ptr(9)));
        assertNull(cache.get(ptr(0)));
        assertNull(cache.get(ptr(2)));
        assertEquals(1, cache.get(ptr(1)).firstBlock());
        assertEquals(1, cache.nodeCount());
        assertEquals(leaf(1).heapBytes(), cache.sizeBytes());
        assertEquals(2, cache.dropped(), "only nodes that were cached count");
        assertEquals(0, cache.evictions(), "not evictions: nothing was over capacity");
    }

    @Test
    void nodesLargerThanTheCacheAreNotKept() {
        NodeCache cache = new NodeCache(10);
        cache.put(ptr(0), leaf(0));
        assertEquals(0, cache.nodeCount());
        assertEquals(0, cache.sizeBytes());
    }

    @Test
    void refusesUnsavedNodes() {
        InternalNode unsaved = new InternalNode(1, new long[] {0}, new NodePointer[1], new IndexNode[] {leaf(0)},
                new long[] {1}, new long[] {1}, new long[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NodeCache(1 << 20).put(ptr(0), unsaved));
        assertEquals("only saved nodes can be cached: node(seg 1 @0+11)", e.getMessage());
    }
}
