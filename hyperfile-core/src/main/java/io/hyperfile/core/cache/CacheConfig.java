package io.hyperfile.core.cache;

import java.nio.file.Path;

/**
 * Settings of the local read cache. Built with {@link #builder(Path, long)}, which checks every value; none can be
 * changed at runtime.
 *
 * <table>
 *   <caption>keys, defaults and units</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code cache.dir}</td><td>(required)</td><td>directory of the cache files, created if missing</td></tr>
 *   <tr><td>{@code cache.size-bytes}</td><td>(required)</td><td>upper bound of the chunk data file; at least one
 *       chunk</td></tr>
 *   <tr><td>{@code cache.chunk-size-bytes}</td><td>262144 (256 KiB)</td><td>unit of caching: aligned chunks of a
 *       segment object; a power of two in 4 KiB..16 MiB. Changing it empties the cache on the next start</td></tr>
 *   <tr><td>{@code cache.read-threads}</td><td>2</td><td>threads that read and verify cached chunks</td></tr>
 *   <tr><td>{@code cache.max-pending-insert-bytes}</td><td>67108864 (64 MiB)</td><td>bytes waiting to be written
 *       into the cache; inserts beyond it are dropped rather than queued, so a slow disk never holds up I/O</td></tr>
 *   <tr><td>{@code cache.sequential-cutoff-bytes}</td><td>4194304 (4 MiB)</td><td>written runs of at least this many
 *       bytes (one flush's contiguous blocks) are not written through: their chunks enter the cache only when read.
 *       0 writes everything through</td></tr>
 * </table>
 *
 * @param directory              where the cache lives
 * @param sizeBytes              upper bound of the data file
 * @param chunkSizeBytes         size of one cached chunk
 * @param readThreads            threads {@code hf-cache-read-<n>}
 * @param maxPendingInsertBytes  insert backlog bound
 * @param sequentialCutoffBytes  shortest written run left out of the write-through; 0: none left out
 */
public record CacheConfig(Path directory, long sizeBytes, int chunkSizeBytes, int readThreads, long maxPendingInsertBytes,
        long sequentialCutoffBytes) {

    public static final int DEFAULT_CHUNK_SIZE_BYTES = 256 * 1024;
    public static final int MIN_CHUNK_SIZE_BYTES = 4 * 1024;
    public static final int MAX_CHUNK_SIZE_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_READ_THREADS = 2;
    /** The smallest piece a hit reads and verifies: one 4 KiB volume block. */
    public static final int MIN_PIECE_SIZE_BYTES = 4 * 1024;
    /** The most per-piece checksums one index entry holds. */
    public static final int MAX_PIECES_PER_CHUNK = 64;
    public static final long DEFAULT_MAX_PENDING_INSERT_BYTES = 64L << 20;
    /** As bcache's {@code sequential_cutoff}: a stream of writes this long is not worth a place in the cache. */
    public static final long DEFAULT_SEQUENTIAL_CUTOFF_BYTES = 4L << 20;

    public CacheConfig {
        if (directory == null) {
            throw new IllegalArgumentException("cache directory must not be null");
        }
        if (Integer.bitCount(chunkSizeBytes) != 1 || chunkSizeBytes < MIN_CHUNK_SIZE_BYTES || chunkSizeBytes > MAX_CHUNK_SIZE_BYTES) {
            throw new IllegalArgumentException("cache chunk size must be a power of two in " + MIN_CHUNK_SIZE_BYTES + ".."
                    + MAX_CHUNK_SIZE_BYTES + ". chunkSizeBytes=" + chunkSizeBytes);
        }
        if (sizeBytes < chunkSizeBytes) {
            throw new IllegalArgumentException("cache size must hold at least one chunk of " + chunkSizeBytes
                    + " bytes. sizeBytes=" + sizeBytes);
        }
        if (sizeBytes / chunkSizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cache size is too large for chunks of " + chunkSizeBytes
                    + " bytes. sizeBytes=" + sizeBytes);
        }
        if (readThreads < 1 || readThreads > 64) {
            throw new IllegalArgumentException("cache read threads must be in 1..64. readThreads=" + readThreads);
        }
        if (maxPendingInsertBytes < chunkSizeBytes) {
            throw new IllegalArgumentException("max pending insert bytes must hold at least one chunk. maxPendingInsertBytes="
                    + maxPendingInsertBytes);
        }
        if (sequentialCutoffBytes < 0) {
            throw new IllegalArgumentException("sequential cutoff must not be negative. sequentialCutoffBytes="
                    + sequentialCutoffBytes);
        }
    }

    /** A builder with the defaults above for a cache of at most {@code sizeBytes} in {@code directory}. */
    public static Builder builder(Path directory, long sizeBytes) {
        return new Builder(directory, sizeBytes);
    }

    /**
     * The unit a hit reads and verifies: 4 KiB (one volume block), or {@code chunkSizeBytes / 64} for chunks above
     * 256 KiB, so an index entry never holds more than {@link #MAX_PIECES_PER_CHUNK} checksums. Derived, not set.
     */
    public int pieceSizeBytes() {
        return Math.max(MIN_PIECE_SIZE_BYTES, chunkSizeBytes / MAX_PIECES_PER_CHUNK);
    }

    /** Pieces per chunk: {@code chunkSizeBytes / pieceSizeBytes()}, 1..64. */
    public int pieceCount() {
        return chunkSizeBytes / pieceSizeBytes();
    }

    /** How many chunks the data file holds: {@code sizeBytes / chunkSizeBytes}. */
    public int slotCount() {
        return (int) (sizeBytes / chunkSizeBytes);
    }

    /** Collects settings; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {
        private final Path directory;
        private final long sizeBytes;
        private int chunkSizeBytes = DEFAULT_CHUNK_SIZE_BYTES;
        private int readThreads = DEFAULT_READ_THREADS;
        private long maxPendingInsertBytes = DEFAULT_MAX_PENDING_INSERT_BYTES;
        private long sequentialCutoffBytes = DEFAULT_SEQUENTIAL_CUTOFF_BYTES;

        private Builder(Path directory, long sizeBytes) {
            this.directory = directory;
            this.sizeBytes = sizeBytes;
        }

        public Builder chunkSizeBytes(int chunkSizeBytes) {
            this.chunkSizeBytes = chunkSizeBytes;
            return this;
        }

        public Builder readThreads(int readThreads) {
            this.readThreads = readThreads;
            return this;
        }

        public Builder maxPendingInsertBytes(long maxPendingInsertBytes) {
            this.maxPendingInsertBytes = maxPendingInsertBytes;
            return this;
        }

        /** Shortest written run left out of the write-through, in bytes; 0 writes everything through. */
        public Builder sequentialCutoffBytes(long sequentialCutoffBytes) {
            this.sequentialCutoffBytes = sequentialCutoffBytes;
            return this;
        }

        public CacheConfig build() {
            return new CacheConfig(directory, sizeBytes, chunkSizeBytes, readThreads, maxPendingInsertBytes,
                    sequentialCutoffBytes);
        }
    }
}
