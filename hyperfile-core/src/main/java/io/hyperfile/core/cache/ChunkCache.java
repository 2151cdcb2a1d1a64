package io.hyperfile.core.cache;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.zip.CRC32C;
import net.openhft.chronicle.hash.impl.SizePrefixedBlob;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache directory: a data file of fixed-size slots, one chunk per slot, and a persisted Chronicle Map from
 * {@link ChunkKey} to {@link SlotEntry}. Layout and crash behaviour are in docs/CACHE.md.
 *
 * <p>Reads: the data file is mapped read-only (in regions of at most 1 GiB) and a hit copies only the pieces of the
 * chunk that overlap the requested range, checking each against its CRC32C in the entry. Pieces are copied before
 * they are checked (never checked in place and copied afterwards), so a slot reused by the writer during the read
 * shows up as a mismatch, not as unchecked bytes. {@link #readIfResident} first asks the kernel (mincore, through
 * {@link MappedByteBuffer#isLoaded()}) whether those pages are in memory and declines if not, so a caller that must
 * not wait for a disk can use it. Writes go through the file channel (the kernel keeps the mapping coherent).
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
    /** The most slots one insert looks at before it evicts regardless of reference bits. */
    private static final int MAX_SWEEP = 64;
    private static final int MIN_INDEX_ENTRIES = 1024;

    private final Path dir;
    private final CacheConfig config;
    private final int chunkSizeBytes;
    private final int pieceSizeBytes;
    private final int pieceCount;
    private final int slotCount;
    private final MappedByteBuffer[] regions;
    /** One piece of scratch per reading thread, for the partly wanted pieces at either end of a range. */
    private final ThreadLocal<byte[]> pieceScratch;
    private final ThreadLocal<CRC32C> crcs = ThreadLocal.withInitial(CRC32C::new);
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final FileChannel data;
    private final Object dataFileKey;
    private final ChronicleMap<byte[], byte[]> index;
    private final int indexEntries;
    private final CacheCounters counters;

    // Writer thread only.
    private final ChunkKey[] owners;
    private final int[] free;
    private int freeCount;
    private int hand;
    // Written by readers (set) and the writer (clear) without synchronisation; only a hint.
    private final byte[] referenced;

    private ChunkCache(CacheConfig config, FileChannel lockChannel, FileLock lock, FileChannel data,
            MappedByteBuffer[] regions, ChronicleMap<byte[], byte[]> index, int indexEntries, CacheCounters counters)
            throws IOException {
        this.dir = config.directory();
        this.config = config;
        this.chunkSizeBytes = config.chunkSizeBytes();
        this.pieceSizeBytes = config.pieceSizeBytes();
        this.pieceCount = config.pieceCount();
        this.slotCount = config.slotCount();
        this.regions = regions;
        int piece = pieceSizeBytes;
        this.pieceScratch = ThreadLocal.withInitial(() -> new byte[piece]);
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.data = data;
        this.dataFileKey = fileKey(dir.resolve(DATA_FILE));
        this.index = index;
        this.indexEntries = indexEntries;
        this.counters = counters;
        this.owners = new ChunkKey[slotCount];
        this.free = new int[slotCount];
        this.referenced = new byte[slotCount];
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
        ChronicleMap<byte[], byte[]> index = null;
        FileChannel data = null;
        try {
            Properties meta = readMeta(dir);
            int wantEntries = Math.max(config.slotCount(), MIN_INDEX_ENTRIES);
            String emptyBecause = reasonToEmpty(meta, config, wantEntries, dir);
            int entries = emptyBecause == null ? Integer.parseInt(meta.getProperty("index-entries")) : wantEntries;
            if (emptyBecause != null) {
                if (meta != null || Files.exists(dir.resolve(INDEX_FILE))) {
                    LOG.info("cache {}: starting empty ({})", dir, emptyBecause);
                }
                deleteCacheFiles(dir);
            }
            try {
                index = openIndex(dir, config, entries, emptyBecause == null && "true".equals(meta.getProperty("clean")));
            } catch (IOException | RuntimeException | AssertionError e) {
                LOG.warn("cache {}: index unreadable, starting empty: {}", dir, e.toString());
                deleteCacheFiles(dir);
                index = openIndex(dir, config, entries, true);
            }
            writeMeta(dir, config, entries, false);
            data = FileChannel.open(dir.resolve(DATA_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            long limit = (long) config.slotCount() * config.chunkSizeBytes();
            if (data.size() > limit) {
                data.truncate(limit);
            }
            long writtenSize = data.size();
            if (writtenSize < limit) {
                // Sparse: gives the mapping a file to stand on (no SIGBUS past the end) without using disk space.
                data.write(ByteBuffer.allocate(1), limit - 1);
            }
            MappedByteBuffer[] regions = new MappedByteBuffer[(int) ((limit + REGION_BYTES - 1) / REGION_BYTES)];
            for (int i = 0; i < regions.length; i++) {
                long at = i * REGION_BYTES;
                regions[i] = data.map(FileChannel.MapMode.READ_ONLY, at, Math.min(REGION_BYTES, limit - at));
            }
            ChunkCache cache = new ChunkCache(config, lockChannel, lock, data, regions, index, entries, counters);
            cache.rebuild(writtenSize);
            return cache;
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(index, data, lock, lockChannel);
            throw e;
        }
    }

    private static String reasonToEmpty(Properties meta, CacheConfig config, int wantEntries, Path dir) {
        if (meta == null) {
            return "no readable " + META_FILE;
        }
        try {
            if (Integer.parseInt(meta.getProperty("layout-version", "")) != LAYOUT_VERSION) {
                return "layout version " + meta.getProperty("layout-version") + ", this version uses " + LAYOUT_VERSION;
            }
            if (Integer.parseInt(meta.getProperty("chunk-size-bytes", "")) != config.chunkSizeBytes()) {
                return "chunk size changed to " + config.chunkSizeBytes();
            }
            if (Integer.parseInt(meta.getProperty("piece-size-bytes", "")) != config.pieceSizeBytes()) {
                return "piece size changed to " + config.pieceSizeBytes();
            }
            if (Integer.parseInt(meta.getProperty("index-entries", "")) < wantEntries) {
                return "cache size grew beyond its index";
            }
        } catch (NumberFormatException e) {
            return "damaged " + META_FILE;
        }
        return Files.exists(dir.resolve(INDEX_FILE)) ? null : "no index";
    }

    private static ChronicleMap<byte[], byte[]> openIndex(Path dir, CacheConfig config, int entries, boolean closedCleanly)
            throws IOException {
        ChronicleMapBuilder<byte[], byte[]> builder = ChronicleMap.of(byte[].class, byte[].class)
                .name("hyperfile-cache-index")
                .constantKeySizeBySample(new byte[ChunkKey.BYTES])
                .constantValueSizeBySample(new byte[SlotEntry.bytes(config.pieceCount())])
                .entries(entries)
                .maxBloatFactor(2.0);
        var file = dir.resolve(INDEX_FILE).toFile();
        if (file.exists() && !hasReadyHeader(file.toPath())) {
            // Chronicle would wait a minute for another process to finish creating it; we hold the lock, so nobody is.
            throw new IOException("index " + file + " has no complete header");
        }
        if (file.exists() && !closedCleanly) {
            LOG.info("cache {}: index was not closed cleanly; recovering it", dir);
            return builder.recoverPersistedTo(file, true);
        }
        return builder.createPersistedTo(file);
    }

    /** Whether the index file's header is complete (Chronicle marks it ready in the size word at offset 8). */
    private static boolean hasReadyHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            int n;
            do {
                n = ch.read(word, SizePrefixedBlob.SIZE_WORD_OFFSET + word.position());
            } while (n > 0 && word.hasRemaining());
            return !word.hasRemaining() && SizePrefixedBlob.isReady(word.getInt(0));
        }
    }

    /**
     * Learns which slots hold what from the index; drops entries that cannot be right, among them those past
     * {@code fileSize}, the data file's size before it was extended to the limit.
     */
    private void rebuild(long fileSize) {
        List<byte[]> drop = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : index.entrySet()) {
            SlotEntry v = decode(e.getValue());
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

    int chunkSizeBytes() {
        return chunkSizeBytes;
    }

    long entries() {
        return index.longSize();
    }

    /** Where {@code key} is cached, or null. Any thread. */
    SlotEntry lookup(ChunkKey key) {
        return decode(index.get(key.encode()));
    }

    private SlotEntry decode(byte[] value) {
        return SlotEntry.decode(value, pieceSizeBytes, pieceCount);
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

    private int copyVerified(ChunkKey key, SlotEntry entry, int from, int to, byte[] out, int outIndex, boolean onlyResident) {
        if (from < 0 || to > entry.length() || from >= to) {
            throw new IllegalArgumentException("range must lie in the chunk. from=" + from + ", to=" + to + ", length="
                    + entry.length());
        }
        long slotAt = (long) entry.slot() * chunkSizeBytes;
        MappedByteBuffer region = regions[(int) (slotAt / REGION_BYTES)];
        int base = (int) (slotAt % REGION_BYTES);
        int firstPiece = from / pieceSizeBytes;
        int lastPiece = (to - 1) / pieceSizeBytes;
        int pieceFrom = firstPiece * pieceSizeBytes;
        int pieceTo = Math.min(entry.length(), (lastPiece + 1) * pieceSizeBytes);
        if (onlyResident && !region.slice(base + pieceFrom, pieceTo - pieceFrom).isLoaded()) {
            return NOT_RESIDENT;
        }
        CRC32C crc = crcs.get();
        byte[] scratch = null;
        for (int p = firstPiece; p <= lastPiece; p++) {
            int pStart = p * pieceSizeBytes;
            int pEnd = Math.min(entry.length(), pStart + pieceSizeBytes);
            int n = pEnd - pStart;
            byte[] dst;
            int dstIndex;
            if (pStart >= from && pEnd <= to) {
                dst = out; // wholly wanted: copy straight into the caller's bytes and check it there
                dstIndex = outIndex + (pStart - from);
            } else {
                dst = scratch == null ? (scratch = pieceScratch.get()) : scratch;
                dstIndex = 0;
            }
            region.get(base + pStart, dst, dstIndex, n);
            crc.reset();
            crc.update(dst, dstIndex, n);
            if ((int) crc.getValue() != entry.pieceCrc(p)) {
                counters.localBytesRead.add(pStart + n - pieceFrom);
                counters.checksumFailures.increment();
                LOG.debug("cache {}: piece {} of chunk {} in slot {} failed its check; dropping the chunk", dir, p, key,
                        entry.slot());
                index.remove(key.encode(), entry.encoded());
                return MISMATCH;
            }
            if (dst == scratch) {
                int lo = Math.max(from, pStart);
                int hi = Math.min(to, pEnd);
                System.arraycopy(scratch, lo - pStart, out, outIndex + (lo - from), hi - lo);
            }
        }
        counters.localBytesRead.add(pieceTo - pieceFrom);
        referenced[entry.slot()] = 1;
        return HIT;
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
            SlotEntry old = decode(existing);
            if (!replace && old != null && old.belongsTo(identity)) {
                return false;
            }
            index.remove(keyBytes, existing);
            if (old != null && old.slot() >= 0 && old.slot() < slotCount && key.equals(owners[old.slot()])) {
                owners[old.slot()] = null;
                free[freeCount++] = old.slot();
            }
        }
        int slot = allocate();
        ByteBuffer src = bytes.duplicate();
        int length = src.remaining();
        long at = (long) slot * chunkSizeBytes;
        try {
            SlotEntry entry = SlotEntry.of(slot, src, identity, pieceSizeBytes, pieceCount);
            while (src.hasRemaining()) {
                data.write(src, at + (length - src.remaining()));
            }
            index.put(keyBytes, entry.encoded());
        } catch (IOException | RuntimeException e) {
            free[freeCount++] = slot;
            throw e;
        }
        owners[slot] = key;
        referenced[slot] = 0;
        return true;
    }

    /** A free slot, or the first unreferenced one the clock hand finds (within {@link #MAX_SWEEP} steps). */
    private int allocate() {
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
            SlotEntry e = decode(entry);
            // The old chunk may have been dropped or re-cached elsewhere since; remove it only if it is still here.
            if (e != null && e.slot() == slot) {
                index.remove(oldKey, entry);
            }
            counters.evictions.increment();
        }
        return slot;
    }

    /** Whether the data file this cache opened is still the one at its path (the directory was not deleted). */
    boolean isIntact() {
        try {
            return Objects.equals(fileKey(dir.resolve(DATA_FILE)), dataFileKey);
        } catch (IOException e) {
            return false;
        }
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
                writeMeta(dir, config, indexEntries, true);
            } catch (IOException e) {
                LOG.debug("cache {}: could not mark the index clean: {}", dir, e.toString());
            }
        }
        closeQuietly(null, null, lock, lockChannel);
    }

    private static Object fileKey(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.fileKey() != null ? a.fileKey() : a.creationTime();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static Properties readMeta(Path dir) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(META_FILE), StandardCharsets.UTF_8)) {
            p.load(r);
            return p;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static void writeMeta(Path dir, CacheConfig config, int indexEntries, boolean clean) throws IOException {
        Path tmp = dir.resolve(META_FILE + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("# Hyperfile local read cache; safe to delete when no server runs (see docs/CACHE.md)\n");
            w.write("layout-version=" + LAYOUT_VERSION + "\n");
            w.write("chunk-size-bytes=" + config.chunkSizeBytes() + "\n");
            w.write("piece-size-bytes=" + config.pieceSizeBytes() + "\n");
            w.write("index-entries=" + indexEntries + "\n");
            w.write("clean=" + clean + "\n");
        }
        Files.move(tmp, dir.resolve(META_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteCacheFiles(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Files.deleteIfExists(dir.resolve(DATA_FILE));
        Files.deleteIfExists(dir.resolve(META_FILE));
    }

    private static void closeQuietly(ChronicleMap<?, ?> index, FileChannel data, FileLock lock, FileChannel lockChannel) {
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
