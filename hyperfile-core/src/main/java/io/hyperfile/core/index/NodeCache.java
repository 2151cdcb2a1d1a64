package io.hyperfile.core.index;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A bounded in-memory cache of decoded index nodes, keyed by {@link NodePointer} (segments are immutable, so an
 * entry never goes stale). Least-recently-used eviction by estimated heap bytes.
 *
 * <p>Thread-safe: one lock around an access-ordered map. Lookups are short (a hash probe), so the lock is held
 * for microseconds; stripe it if profiles ever show contention.
 */
public final class NodeCache {
    private final long capacityBytes;
    private final LinkedHashMap<NodePointer, IndexNode> map = new LinkedHashMap<>(256, 0.75f, true);
    private long sizeBytes;
    private long hits;
    private long misses;
    private long evictions;
    private long dropped;

    /** A cache holding at most about {@code capacityBytes} of decoded nodes (0 caches nothing). */
    public NodeCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be non-negative. capacityBytes=" + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    /** The cached node, or null; counts a hit or a miss. */
    public synchronized IndexNode get(NodePointer pointer) {
        IndexNode node = map.get(pointer);
        if (node == null) {
            misses++;
        } else {
            hits++;
        }
        return node;
    }

    /**
     * Caches {@code node}, which must reference its children by pointer only, evicting the least recently used
     * nodes beyond capacity. A node bigger than the whole cache is not kept.
     */
    public synchronized void put(NodePointer pointer, IndexNode node) {
        Objects.requireNonNull(pointer, "pointer");
        if (node instanceof InternalNode in && !in.isSaved()) {
            throw new IllegalArgumentException("only saved nodes can be cached: " + pointer);
        }
        IndexNode old = map.put(pointer, node);
        if (old != null) {
            sizeBytes -= old.heapBytes();
        }
        sizeBytes += node.heapBytes();
        Iterator<Map.Entry<NodePointer, IndexNode>> it = map.entrySet().iterator();
        while (sizeBytes > capacityBytes && it.hasNext()) {
            sizeBytes -= it.next().getValue().heapBytes();
            it.remove();
            evictions++;
        }
    }

    /**
     * Drops the nodes at {@code pointers}, if cached: nodes an index update replaced by their copies. No index
     * published after the update reaches them, so keeping them would only fill the cache with garbage that lives
     * long enough to be copied by every young collection (docs/PERFORMANCE.md, "Replaced index nodes, and no
     * wake-ups under the volume's lock").
     */
    public synchronized void removeAll(List<NodePointer> pointers) {
        for (NodePointer p : pointers) {
            IndexNode old = map.remove(p);
            if (old != null) {
                sizeBytes -= old.heapBytes();
                dropped++;
            }
        }
    }

    /** Drops every node (counters are kept). */
    public synchronized void invalidateAll() {
        map.clear();
        sizeBytes = 0;
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    /** Estimated heap bytes of the cached nodes. */
    public synchronized long sizeBytes() {
        return sizeBytes;
    }

    public synchronized int nodeCount() {
        return map.size();
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /** Nodes dropped because an update replaced them ({@link #removeAll}). */
    public synchronized long dropped() {
        return dropped;
    }

    @Override
    public synchronized String toString() {
        return "NodeCache{nodes=%d, sizeBytes=%d/%d, hits=%d, misses=%d, evictions=%d, dropped=%d}"
                .formatted(map.size(), sizeBytes, capacityBytes, hits, misses, evictions, dropped);
    }
}
