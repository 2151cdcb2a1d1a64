package io.hyperfile.core.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which chunk each slot of the data file holds, which slots are free, and CLOCK eviction when none is. Learns the
 * slots' owners from the index on open ({@link #rebuild}); from then on the index and this table change together,
 * under the cache writer's ordering (see {@link ChunkCache#insert}).
 *
 * <p>Eviction is CLOCK over in-memory reference bits, one per slot: a hit sets its slot's bit
 * ({@link #markReferenced}); {@link #allocate} takes a free slot if there is one, else advances the hand, clearing
 * set bits, to the first slot whose bit is clear and evicts its chunk (removes its index entry if it is still
 * there). The hand stops after {@value #MAX_SWEEP} steps and evicts where it is, so an insert never scans the whole
 * cache. A newly placed chunk starts with a clear bit. The bits are not persisted.
 *
 * <p>Threads: everything runs on the cache writer thread, except {@link #markReferenced}, which readers call on any
 * thread without synchronisation: the bits are only a hint, and a lost one only costs a little precision. Logs
 * under {@link ChunkCache}'s logger, like the rest of the cache directory.
 */
final class SlotAllocator {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);
    /** The most slots one insert looks at before it evicts regardless of reference bits. */
    static final int MAX_SWEEP = 64;

    private final ChunkIndex index;
    private final CacheCounters counters;
    private final int slotCount;

    // Writer thread only.
    private final ChunkKey[] owners;
    private final int[] free;
    private int freeCount;
    private int hand;
    // Written by readers (set) and the writer (clear) without synchronisation; only a hint.
    private final byte[] referenced;

    SlotAllocator(int slotCount, ChunkIndex index, CacheCounters counters) {
        this.index = index;
        this.counters = counters;
        this.slotCount = slotCount;
        this.owners = new ChunkKey[slotCount];
        this.free = new int[slotCount];
        this.referenced = new byte[slotCount];
    }

    /**
     * Learns which slots hold what from the index; drops entries that cannot be right, among them those past
     * {@code fileSize}, the data file's size before it was extended to the limit. Every other slot is free.
     */
    void rebuild(Path dir, int chunkSizeBytes, long fileSize) {
        List<byte[]> drop = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : index.entrySet()) {
            SlotEntry v = index.decode(e.getValue());
            boolean ok = v != null && e.getKey().length == ChunkKey.BYTES && v.slot() >= 0 && v.slot() < slotCount
                    && v.length() > 0 && v.length() <= chunkSizeBytes && owners[v.slot()] == null
                    && (long) v.slot() * chunkSizeBytes + v.length() <= fileSize;
            if (ok) {
                owners[v.slot()] = ChunkKey.decode(e.getKey());
            } else {
                drop.add(e.getKey());
            }
        }
        drop.forEach(index::remove);
        for (int s = slotCount - 1; s >= 0; s--) {
            if (owners[s] == null) {
                free[freeCount++] = s;
            }
        }
        if (!drop.isEmpty()) {
            LOG.info("cache {}: dropped {} index entries that did not fit the data file", dir, drop.size());
        }
    }

    /**
     * A free slot, or the first unreferenced one the clock hand finds (within {@link #MAX_SWEEP} steps), whose chunk
     * is then evicted: its index entry is removed if it still points at this slot. The slot belongs to the caller
     * until it calls {@link #occupy} or {@link #release}.
     */
    int allocate() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        int slot = hand;
        for (int step = 0; step < MAX_SWEEP && referenced[slot] != 0; step++) {
            referenced[slot] = 0;
            slot = (slot + 1) % slotCount;
        }
        hand = (slot + 1) % slotCount;
        ChunkKey old = owners[slot];
        if (old != null) {
            owners[slot] = null;
            byte[] oldKey = old.encode();
            byte[] entry = index.get(oldKey);
            SlotEntry e = index.decode(entry);
            // The old chunk may have been dropped or re-cached elsewhere since; remove it only if it is still here.
            if (e != null && e.slot() == slot) {
                index.remove(oldKey, entry);
            }
            counters.evictions.increment();
        }
        return slot;
    }

    /** Records that {@code slot}, from {@link #allocate}, now holds {@code key}, with a clear reference bit. */
    void occupy(int slot, ChunkKey key) {
        owners[slot] = key;
        referenced[slot] = 0;
    }

    /** Returns {@code slot}, from {@link #allocate}, to the free slots unused (its write failed). */
    void release(int slot) {
        free[freeCount++] = slot;
    }

    /**
     * Frees {@code slot} if it is a slot of this cache and holds {@code key} (the caller has removed the index entry
     * that put it there); otherwise does nothing.
     */
    void releaseIfHeldBy(int slot, ChunkKey key) {
        if (slot >= 0 && slot < slotCount && key.equals(owners[slot])) {
            owners[slot] = null;
            free[freeCount++] = slot;
        }
    }

    /** Sets {@code slot}'s reference bit after a hit. Any thread; a plain, unsynchronised write. */
    void markReferenced(int slot) {
        referenced[slot] = 1;
    }
}
