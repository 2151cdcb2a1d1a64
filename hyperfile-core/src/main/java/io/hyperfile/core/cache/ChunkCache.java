package io.hyperfile.core.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache directory: a data file of fixed-size slots, one chunk per slot, and a persisted Chronicle Map from
 * {@link ChunkKey} to {@link SlotEntry}. Layout and crash behaviour are in docs/CACHE.md. This class opens and
 * closes the directory (its lock, {@link CacheMeta}, {@link ChunkIndex}, {@link ChunkDataFile}) and keeps the order
 * of each operation across them; {@link SlotAllocator} knows which slot holds what and evicts.
 *
 * <p>Reads: the data file is mapped read-only (in regions of at most 1 GiB) and a hit copies only the pieces of the
 * chunk that overlap the requested range, checking each against its CRC32C in the entry
 * ({@link ChunkDataFile#copyVerified}). Pieces are copied before they are checked (never checked in place and copied
 * afterwards), so a slot reused by the writer during the read shows up as a mismatch, not as unchecked bytes.
 * {@link #readIfResident} first asks the kernel (mincore, through {@link MappedByteBuffer#isLoaded()}) whether those
 * pages are in memory and declines if not, so a caller that must not wait for a disk can use it. Writes go through
 * the file channel (the kernel keeps the mapping coherent).
 *
 * <p>Ordering, so that a kill at any moment leaves a usable cache: an insert removes the slot's old index entry,
 * then writes the data, then adds the new entry; nothing is fsynced, because every hit is checked against the
 * entry's CRC32C and a mismatch (a power loss that kept the entry but not the data) is a miss. A map not closed
 * cleanly is opened with Chronicle's recovery.
 *
 * <p>Threads: {@link #open}, {@link #insert} and {@link #close} run on one thread only (the cache writer).
 * {@link #lookup} and {@link #read} run on any thread, concurrently with inserts: a read that races with the reuse
 * of its slot sees bytes that fail the CRC and becomes a miss. Eviction is CLOCK over in-memory reference bits
 * that hits set without locking (a lost bit only costs a little precision), with a bounded sweep per insert.
 */
final class ChunkCache implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

    static final String LOCK_FILE = "cache.lock";
    static final String DATA_FILE = "chunks.dat";
    static final String INDEX_FILE = "index.cm";
    static final String META_FILE = "cache.meta";
    /** Version of this directory's layout; another value empties the cache on open. */
    static final int LAYOUT_VERSION = 3;
    /** Results of {@link #read} and {@link #readIfResident}. */
    static final int HIT = 0;
    /** A piece failed its check or the bytes could not be read whole: the entry was dropped. */
    static final int MISMATCH = 1;
    /** {@link #readIfResident} only: the pieces are not all in the page cache; nothing was read. */
    static final int NOT_RESIDENT = 2;
    /** Size of one mapped region of the data file; a multiple of every chunk size, so no chunk straddles two. */
    static final long REGION_BYTES = 1L << 30;
    private static final int MIN_INDEX_ENTRIES = 1024;

    private final Path dir;
    private final CacheConfig config;
    private final int chunkSizeBytes;
    private final int pieceSizeBytes;
    private final int pieceCount;
    private final int slotCount;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChunkDataFile data;
    private final ChunkIndex index;
    private final SlotAllocator slots;

    private ChunkCache(CacheConfig config, FileChannel lockChannel, FileLock lock, ChunkDataFile data, ChunkIndex index,
            CacheCounters counters) {
        this.dir = config.directory();
        this.config = config;
        this.chunkSizeBytes = config.chunkSizeBytes();
        this.pieceSizeBytes = config.pieceSizeBytes();
        this.pieceCount = config.pieceCount();
        this.slotCount = config.slotCount();
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.data = data;
        this.index = index;
        this.slots = new SlotAllocator(slotCount, index, counters);
    }

    /**
     * Opens (or creates) the cache in {@code config.directory()}. Slow on first use in a JVM: Chronicle Map
     * compiles code. A missing, foreign or damaged cache is emptied and recreated, never reported.
     *
     * @throws IOException if the directory cannot be used at all, or another process holds it
     */
    static ChunkCache open(CacheConfig config, CacheCounters counters) throws IOException {
        Path dir = config.directory();
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("cache directory " + dir + " is in use by another process (" + LOCK_FILE + " is locked)");
        }
        ChunkIndex index = null;
        FileChannel data = null;
        try {
            Properties meta = CacheMeta.read(dir);
            int wantEntries = Math.max(config.slotCount(), MIN_INDEX_ENTRIES);
            String emptyBecause = CacheMeta.reasonToEmpty(meta, config, wantEntries, dir);
            int entries = emptyBecause == null ? CacheMeta.indexEntries(meta) : wantEntries;
            if (emptyBecause != null) {
                if (meta != null || Files.exists(dir.resolve(INDEX_FILE))) {
                    LOG.info("cache {}: starting empty ({})", dir, emptyBecause);
                }
                deleteCacheFiles(dir);
            }
            try {
                index = ChunkIndex.open(dir, config, entries, emptyBecause == null && CacheMeta.isClean(meta));
            } catch (IOException | RuntimeException | AssertionError e) {
                LOG.warn("cache {}: index unreadable, starting empty: {}", dir, e.toString());
                deleteCacheFiles(dir);
                index = ChunkIndex.open(dir, config, entries, true);
            }
            CacheMeta.write(dir, config, entries, false);
            data = FileChannel.open(dir.resolve(DATA_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            ChunkDataFile dataFile = ChunkDataFile.map(data, config, counters);
            ChunkCache cache = new ChunkCache(config, lockChannel, lock, dataFile, index, counters);
            cache.slots.rebuild(dir, cache.chunkSizeBytes, dataFile.sizeAtOpenBytes());
            return cache;
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(index, data, lock, lockChannel);
            throw e;
        }
    }

    int chunkSizeBytes() {
        return chunkSizeBytes;
    }

    long entries() {
        return index.size();
    }

    /** Where {@code key} is cached, or null. Any thread. */
    SlotEntry lookup(ChunkKey key) {
        return index.lookup(key);
    }

    /**
     * Copies bytes {@code [from, to)} of the chunk {@code entry} describes to {@code out} at {@code outIndex},
     * reading and checking only the pieces that overlap them. Returns {@link #HIT}, or {@link #MISMATCH} if a piece
     * failed its CRC32C (the entry is then dropped, and {@code out} holds garbage in that range). Any thread; may
     * wait for the disk if the pages are not in memory.
     *
     * @throws InternalError if the mapped data file cannot be read (an I/O error shows up as SIGBUS); a miss too
     */
    int read(ChunkKey key, SlotEntry entry, int from, int to, byte[] out, int outIndex) {
        return copyVerified(key, entry, from, to, out, outIndex, false);
    }

    /**
     * Like {@link #read}, but returns {@link #NOT_RESIDENT} without reading if any page of the pieces is not in the
     * page cache, so the caller never waits for the disk (but for the rare page evicted between the check and
     * the copy).
     */
    int readIfResident(ChunkKey key, SlotEntry entry, int from, int to, byte[] out, int outIndex) {
        return copyVerified(key, entry, from, to, out, outIndex, true);
    }

    /** A hit sets the slot's reference bit; a mismatch drops the entry, only if it still holds the value read. */
    private int copyVerified(ChunkKey key, SlotEntry entry, int from, int to, byte[] out, int outIndex, boolean onlyResident) {
        int result = data.copyVerified(key, entry, from, to, out, outIndex, onlyResident);
        if (result == MISMATCH) {
            index.remove(key.encode(), entry.encoded());
        } else if (result == HIT) {
            slots.markReferenced(entry.slot());
        }
        return result;
    }

    /**
     * Caches {@code bytes} (position to limit, at most a chunk) of the object {@code identity} names as {@code key},
     * evicting a chunk if no slot is free. An existing entry for the key of the same object is kept unless
     * {@code replace}; one of another object (stale) is always replaced. Writer thread only.
     *
     * @return whether the chunk was written
     * @throws IOException if the data file cannot be written; the slot then stays free
     */
    boolean insert(ChunkKey key, ByteBuffer bytes, SegmentIdentity identity, boolean replace) throws IOException {
        byte[] keyBytes = key.encode();
        byte[] existing = index.get(keyBytes);
        if (existing != null) {
            SlotEntry old = index.decode(existing);
            if (!replace && old != null && old.belongsTo(identity)) {
                return false;
            }
            index.remove(keyBytes, existing);
            if (old != null) {
                slots.releaseIfHeldBy(old.slot(), key);
            }
        }
        int slot = slots.allocate();
        ByteBuffer src = bytes.duplicate();
        try {
            SlotEntry entry = SlotEntry.of(slot, src, identity, pieceSizeBytes, pieceCount);
            data.write(slot, src);
            index.put(keyBytes, entry.encoded());
        } catch (IOException | RuntimeException e) {
            slots.release(slot);
            throw e;
        }
        slots.occupy(slot, key);
        return true;
    }

    /** Whether the data file this cache opened is still the one at its path (the directory was not deleted). */
    boolean isIntact() {
        return data.isIntact();
    }

    /** Stops using the data file and lock, keeping the index mapped until {@link #close} (readers may be in it). */
    void detach() {
        closeQuietly(null, data, lock, lockChannel);
    }

    /** Closes everything and, if the directory is still ours, marks the index as closed cleanly. Writer thread. */
    @Override
    public void close() {
        boolean intact = isIntact();
        closeQuietly(index, data, null, null);
        if (intact) {
            try {
                CacheMeta.write(dir, config, index.capacity(), true);
            } catch (IOException e) {
                LOG.debug("cache {}: could not mark the index clean: {}", dir, e.toString());
            }
        }
        closeQuietly(null, null, lock, lockChannel);
    }

    private static void deleteCacheFiles(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Files.deleteIfExists(dir.resolve(DATA_FILE));
        Files.deleteIfExists(dir.resolve(META_FILE));
    }

    private static void closeQuietly(ChunkIndex index, Closeable data, FileLock lock, FileChannel lockChannel) {
        try {
            if (index != null) {
                index.close();
            }
        } catch (RuntimeException e) {
            LOG.debug("closing cache index: {}", e.toString());
        }
        for (AutoCloseable c : new AutoCloseable[] {data, lock, lockChannel}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                LOG.debug("closing cache file: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "ChunkCache[" + dir + ", " + slotCount + " x " + chunkSizeBytes + " bytes]";
    }
}
