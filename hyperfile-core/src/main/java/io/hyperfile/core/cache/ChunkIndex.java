package io.hyperfile.core.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import net.openhft.chronicle.hash.impl.SizePrefixedBlob;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's index, {@value ChunkCache#INDEX_FILE}: a persisted Chronicle Map from an encoded {@link ChunkKey}
 * ({@value ChunkKey#BYTES} bytes) to an encoded {@link SlotEntry} ({@link SlotEntry#bytes(int)} bytes). Opens the
 * file (with Chronicle's recovery if it was not closed cleanly) and decodes entries; keys and values cross it as the
 * raw bytes the map stores, so that a conditional remove compares exactly what was read.
 *
 * <p>Threads: any thread may look up and remove entries (Chronicle Map is thread-safe); {@link #open}, {@link #put}
 * and {@link #close} run on the cache writer thread. Logs under {@link ChunkCache}'s logger, like the rest of the
 * cache directory.
 */
final class ChunkIndex implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

    private final ChronicleMap<byte[], byte[]> map;
    private final int capacity;
    private final int pieceSizeBytes;
    private final int pieceCount;

    private ChunkIndex(ChronicleMap<byte[], byte[]> map, int capacity, int pieceSizeBytes, int pieceCount) {
        this.map = map;
        this.capacity = capacity;
        this.pieceSizeBytes = pieceSizeBytes;
        this.pieceCount = pieceCount;
    }

    /**
     * Opens (or creates) the index in {@code dir} with room for {@code entries} entries of a cache of {@code config};
     * recovers it first unless it was {@code closedCleanly}.
     *
     * @throws IOException if the file exists but its header is incomplete (a kill during creation), or cannot be read
     */
    static ChunkIndex open(Path dir, CacheConfig config, int entries, boolean closedCleanly) throws IOException {
        ChronicleMapBuilder<byte[], byte[]> builder = ChronicleMap.of(byte[].class, byte[].class)
                .name("hyperfile-cache-index")
                .constantKeySizeBySample(new byte[ChunkKey.BYTES])
                .constantValueSizeBySample(new byte[SlotEntry.bytes(config.pieceCount())])
                .entries(entries)
                .maxBloatFactor(2.0);
        var file = dir.resolve(ChunkCache.INDEX_FILE).toFile();
        if (file.exists() && !hasReadyHeader(file.toPath())) {
            // Chronicle would wait a minute for another process to finish creating it; we hold the lock, so nobody is.
            throw new IOException("index " + file + " has no complete header");
        }
        ChronicleMap<byte[], byte[]> map;
        if (file.exists() && !closedCleanly) {
            LOG.info("cache {}: index was not closed cleanly; recovering it", dir);
            map = builder.recoverPersistedTo(file, true);
        } else {
            map = builder.createPersistedTo(file);
        }
        return new ChunkIndex(map, entries, config.pieceSizeBytes(), config.pieceCount());
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

    /** The number of entries the index was made for (recorded in {@value ChunkCache#META_FILE}). */
    int capacity() {
        return capacity;
    }

    /** The number of entries in the index now. */
    long size() {
        return map.longSize();
    }

    /** Where {@code key} is cached, or null. */
    SlotEntry lookup(ChunkKey key) {
        return decode(map.get(key.encode()));
    }

    /** The stored value of the encoded key {@code key}, or null. */
    byte[] get(byte[] key) {
        return map.get(key);
    }

    /** The entry {@code value} encodes, or null if it cannot be one of this cache (see {@link SlotEntry#decode}). */
    SlotEntry decode(byte[] value) {
        return SlotEntry.decode(value, pieceSizeBytes, pieceCount);
    }

    /** Every stored (key, value) pair, for the scan on open; the view is live. */
    Set<Map.Entry<byte[], byte[]>> entrySet() {
        return map.entrySet();
    }

    /** Stores {@code value} under the encoded key {@code key}. Writer thread. */
    void put(byte[] key, byte[] value) {
        map.put(key, value);
    }

    /** Removes the encoded key {@code key} only if it still maps to {@code value}. */
    void remove(byte[] key, byte[] value) {
        map.remove(key, value);
    }

    /** Removes the encoded key {@code key}. */
    void remove(byte[] key) {
        map.remove(key);
    }

    /** Closes the map (the file stays). Writer thread. */
    @Override
    public void close() {
        map.close();
    }
}
