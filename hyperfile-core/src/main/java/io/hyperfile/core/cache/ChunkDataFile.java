package io.hyperfile.core.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's data file, {@value ChunkCache#DATA_FILE}: fixed-size slots, slot {@code i} at byte
 * {@code i × chunk size}, extended sparsely to the size limit on open so that every mapped byte is backed by the file
 * (reading past a file's end raises SIGBUS). Which chunk a slot holds is not recorded here but in the index.
 *
 * <p>Reads: the file is mapped read-only in regions of at most {@link ChunkCache#REGION_BYTES} (a multiple of every
 * chunk size, so no chunk straddles two), and {@link #copyVerified} copies only the pieces of a chunk that overlap
 * the requested range, checking each against its CRC32C in the entry. Pieces are copied before they are checked
 * (never checked in place and copied afterwards), so a slot reused by the writer during the read shows up as a
 * mismatch, not as unchecked bytes. With {@code onlyResident} it first asks the kernel (mincore, through
 * {@link MappedByteBuffer#isLoaded()}) whether those pages are in memory and declines if not. Writes go through the
 * file channel (the kernel keeps the mapping coherent). Mappings are never unmapped explicitly (a reader could still
 * be copying): they go when this object is garbage-collected, after {@link #close}.
 *
 * <p>Threads: {@link #copyVerified} runs on any thread, concurrently with writes; {@link #write} and {@link #close}
 * run on the cache writer thread only. Logs under {@link ChunkCache}'s logger, like the rest of the cache directory.
 */
final class ChunkDataFile implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

    private final Path dir;
    private final FileChannel channel;
    private final MappedByteBuffer[] regions;
    private final Object fileKey;
    private final long sizeAtOpenBytes;
    private final int chunkSizeBytes;
    private final int pieceSizeBytes;
    private final CacheCounters counters;
    /** One piece of scratch per reading thread, for the partly wanted pieces at either end of a range. */
    private final ThreadLocal<byte[]> pieceScratch;
    private final ThreadLocal<CRC32C> crcs = ThreadLocal.withInitial(CRC32C::new);

    private ChunkDataFile(CacheConfig config, FileChannel channel, MappedByteBuffer[] regions, long sizeAtOpenBytes,
            CacheCounters counters) throws IOException {
        this.dir = config.directory();
        this.channel = channel;
        this.regions = regions;
        this.sizeAtOpenBytes = sizeAtOpenBytes;
        this.chunkSizeBytes = config.chunkSizeBytes();
        this.pieceSizeBytes = config.pieceSizeBytes();
        this.counters = counters;
        int piece = pieceSizeBytes;
        this.pieceScratch = ThreadLocal.withInitial(() -> new byte[piece]);
        this.fileKey = fileKey(dir.resolve(ChunkCache.DATA_FILE));
    }

    /**
     * Sizes {@code channel}, the open data file of a cache of {@code config}, to the size limit (truncating a larger
     * file, extending a smaller one sparsely) and maps it. The channel then belongs to the returned object; if this
     * throws, it still belongs to the caller.
     */
    static ChunkDataFile map(FileChannel channel, CacheConfig config, CacheCounters counters) throws IOException {
        long limit = (long) config.slotCount() * config.chunkSizeBytes();
        if (channel.size() > limit) {
            channel.truncate(limit);
        }
        long writtenSize = channel.size();
        if (writtenSize < limit) {
            // Sparse: gives the mapping a file to stand on (no SIGBUS past the end) without using disk space.
            channel.write(ByteBuffer.allocate(1), limit - 1);
        }
        long regionBytes = ChunkCache.REGION_BYTES;
        MappedByteBuffer[] regions = new MappedByteBuffer[(int) ((limit + regionBytes - 1) / regionBytes)];
        for (int i = 0; i < regions.length; i++) {
            long at = i * regionBytes;
            regions[i] = channel.map(FileChannel.MapMode.READ_ONLY, at, Math.min(regionBytes, limit - at));
        }
        return new ChunkDataFile(config, channel, regions, writtenSize, counters);
    }

    /** The file's size when it was opened, before {@link #map} extended it to the limit. */
    long sizeAtOpenBytes() {
        return sizeAtOpenBytes;
    }

    /**
     * Copies bytes {@code [from, to)} of the chunk {@code entry} describes to {@code out} at {@code outIndex}, reading
     * and checking only the pieces that overlap them, and counts the bytes read. Returns {@link ChunkCache#HIT};
     * {@link ChunkCache#MISMATCH} if a piece failed its CRC32C ({@code out} then holds garbage in that range, and the
     * caller drops the entry); or, if {@code onlyResident}, {@link ChunkCache#NOT_RESIDENT} without reading when any
     * page of the pieces is not in the page cache. Any thread.
     *
     * @throws IllegalArgumentException if the range does not lie in the chunk
     * @throws InternalError if the mapped file cannot be read (an I/O error shows up as SIGBUS)
     */
    int copyVerified(ChunkKey key, SlotEntry entry, int from, int to, byte[] out, int outIndex, boolean onlyResident) {
        if (from < 0 || to > entry.length() || from >= to) {
            throw new IllegalArgumentException("range must lie in the chunk. from=" + from + ", to=" + to + ", length="
                    + entry.length());
        }
        long slotAt = (long) entry.slot() * chunkSizeBytes;
        MappedByteBuffer region = regions[(int) (slotAt / ChunkCache.REGION_BYTES)];
        int base = (int) (slotAt % ChunkCache.REGION_BYTES);
        int firstPiece = from / pieceSizeBytes;
        int lastPiece = (to - 1) / pieceSizeBytes;
        int pieceFrom = firstPiece * pieceSizeBytes;
        int pieceTo = Math.min(entry.length(), (lastPiece + 1) * pieceSizeBytes);
        if (onlyResident && !region.slice(base + pieceFrom, pieceTo - pieceFrom).isLoaded()) {
            return ChunkCache.NOT_RESIDENT;
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
                return ChunkCache.MISMATCH;
            }
            if (dst == scratch) {
                int lo = Math.max(from, pStart);
                int hi = Math.min(to, pEnd);
                System.arraycopy(scratch, lo - pStart, out, outIndex + (lo - from), hi - lo);
            }
        }
        counters.localBytesRead.add(pieceTo - pieceFrom);
        return ChunkCache.HIT;
    }

    /**
     * Writes {@code bytes} (position to limit, at most a chunk) into {@code slot}, advancing the buffer's position to
     * its limit. Writer thread.
     */
    void write(int slot, ByteBuffer bytes) throws IOException {
        int length = bytes.remaining();
        long at = (long) slot * chunkSizeBytes;
        while (bytes.hasRemaining()) {
            channel.write(bytes, at + (length - bytes.remaining()));
        }
    }

    /** Whether the data file this object opened is still the one at its path (the directory was not deleted). */
    boolean isIntact() {
        try {
            return Objects.equals(fileKey(dir.resolve(ChunkCache.DATA_FILE)), fileKey);
        } catch (IOException e) {
            return false;
        }
    }

    /** Closes the file channel; the mapping stays readable until this object is garbage-collected. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static Object fileKey(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.fileKey() != null ? a.fileKey() : a.creationTime();
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
