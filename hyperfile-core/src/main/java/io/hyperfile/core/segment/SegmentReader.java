package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.encoding.FrameCodec;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * Reads the parts of stored segments, verifying every byte: footers (one suffix GET), data blocks (each against its
 * own CRC32C, which also binds it to its segment and slot, so a block read from the wrong place fails too) and
 * extent tables.
 *
 * <p>Segments of an encoded volume (format version 3) keep their data in frames listed by a {@link FrameDirectory}
 * after the header: a read first needs that directory (one GET of the segment's first bytes, then remembered for
 * the next {@value #MAX_DIRECTORIES} segments read), then fetches exactly the slots it wants from raw frames and the
 * whole of each compressed frame it touches, which it checks against the frame's checksum before decompressing.
 * Thread-safe; the only state is that cache of directories and a small cache of segment keys.
 */
public final class SegmentReader {
    /**
     * Directories remembered: 8 bytes a frame, so about 16 KiB each for 8 MiB segments in 4 KiB frames (lz4's
     * default) and 4 KiB in 16 KiB frames (zstd's): at most about 8 MiB per open volume.
     */
    static final int MAX_DIRECTORIES = 512;
    /** The first GET for a directory: the header and up to 4000 frames (16 MiB segments at 4 KiB frames) at once. */
    static final int DIRECTORY_GUESS_BYTES = 16 << 10;
    /** Segment keys remembered (a power of two). */
    private static final int KEYS = 64;
    private final ObjectStore store;
    private final String prefix;
    private final int blockSize;
    private final boolean framed;
    private final ConcurrentHashMap<Long, CompletableFuture<FrameDirectory>> directories = new ConcurrentHashMap<>();

    /**
     * The keys of segments read lately, by seq (direct-mapped): a 4 KiB read would otherwise build its key string.
     * Each slot holds one immutable pair, so a racing writer replaces a pair whole and never tears one.
     */
    private final Key[] keys = new Key[KEYS];

    private record Key(long seq, String key) {
    }

    /** A reader of unencoded segments (format version 1), or of any segment's footer, header and extent table. */
    public SegmentReader(ObjectStore store, String prefix, int blockSize) {
        this(store, prefix, blockSize, SegmentEncoding.NONE);
    }

    /** A reader of the segments of a volume stored with {@code encoding}. */
    public SegmentReader(ObjectStore store, String prefix, int blockSize, SegmentEncoding encoding) {
        this.store = store;
        this.prefix = prefix;
        this.blockSize = blockSize;
        this.framed = encoding.isEncoded();
    }

    /** Reads and checks the footer of segment {@code seq}. */
    public CompletableFuture<SegmentFooter> footer(long seq) {
        String key = key(seq);
        return store.get(key, ByteRange.suffix(SegmentFooter.BYTES)).thenApply(d -> {
            if (d.objectSize() < SegmentHeader.BYTES + SegmentFooter.BYTES) {
                throw new CorruptionException(key, 0, "segment is truncated: " + d.objectSize() + " bytes, too short to be one");
            }
            return SegmentFooter.decode(key, d.offset(), d.data(), seq, d.objectSize());
        });
    }

    /** Reads and checks the header of segment {@code seq}. */
    public CompletableFuture<SegmentHeader> header(long seq) {
        String key = key(seq);
        return store.get(key, ByteRange.of(0, SegmentHeader.BYTES)).thenApply(d -> SegmentHeader.decode(key, d.data()));
    }

    /**
     * Reads {@code count} data blocks of segment {@code seq} from slot {@code firstSlot} and returns their bytes
     * (count × block size, checksums removed, in a buffer the caller owns).
     */
    public CompletableFuture<ByteBuffer> readBlocks(long seq, long firstSlot, int count) {
        return readVerified(seq, firstSlot, count).thenApply(blocks -> {
            ByteBuffer out = ByteBuffer.allocate(count * blockSize);
            blocks.copyTo(0, out, 0, count * blockSize);
            return out;
        });
    }

    /**
     * Reads {@code count} data blocks of segment {@code seq} from slot {@code firstSlot}, verified, without copying
     * them out of the fetched bytes.
     */
    public CompletableFuture<VerifiedBlocks> readVerified(long seq, long firstSlot, int count) {
        String key = key(seq);
        if (framed) {
            return directory(seq).thenCompose(dir -> {
                long[] range = byteRange(key, dir, firstSlot, count);
                return store.get(key, ByteRange.of(range[0], range[1] - range[0]))
                        .thenApply(d -> unpack(key, seq, dir, firstSlot, count, range, d));
            });
        }
        int stride = blockSize + 4;
        long at = SegmentHeader.BYTES + firstSlot * stride;
        return store.get(key, ByteRange.of(at, (long) count * stride)).thenApply(d -> verifyBlocks(key, seq, firstSlot, count, d));
    }

    /**
     * As {@link #readVerified(long, long, int)}, but the verified blocks are only lent to {@code use} (they may sit
     * in memory the store reuses once {@code use} returns, see {@link ObjectStore#read}): {@code use} copies out what
     * it needs. Saves the buffer and the copy a fetch otherwise makes.
     */
    public <T> CompletableFuture<T> readVerified(long seq, long firstSlot, int count, Function<VerifiedBlocks, T> use) {
        String key = key(seq);
        if (framed) {
            return directory(seq).thenCompose(dir -> {
                long[] range = byteRange(key, dir, firstSlot, count);
                return store.read(key, ByteRange.of(range[0], range[1] - range[0]),
                        d -> use.apply(unpack(key, seq, dir, firstSlot, count, range, d)));
            });
        }
        int stride = blockSize + 4;
        long at = SegmentHeader.BYTES + firstSlot * stride;
        return store.read(key, ByteRange.of(at, (long) count * stride),
                d -> use.apply(verifyBlocks(key, seq, firstSlot, count, d)));
    }

    /** Fetches {@code count} data blocks (with their checksums) and drops them: read-ahead into a caching store. */
    public CompletableFuture<Long> prefetch(long seq, long firstSlot, int count) {
        if (framed) {
            String key = key(seq);
            return directory(seq).thenCompose(dir -> {
                long[] range = byteRange(key, dir, firstSlot, count);
                return store.get(key, ByteRange.of(range[0], range[1] - range[0])).thenApply(d -> (long) d.length());
            });
        }
        int stride = blockSize + 4;
        return store.get(key(seq), ByteRange.of(SegmentHeader.BYTES + firstSlot * stride,
                (long) count * stride)).thenApply(d -> (long) d.length());
    }

    /**
     * Verified data blocks: as fetched, each block followed by its 4-byte checksum ({@code stride} = block size + 4),
     * or unpacked from frames, back to back ({@code stride} = block size).
     */
    public static final class VerifiedBlocks {
        private final ByteBuffer raw;
        private final int base;
        private final int blockSize;
        private final int count;
        private final int stride;

        VerifiedBlocks(ByteBuffer raw, int base, int blockSize, int count, int stride) {
            this.raw = raw;
            this.base = base;
            this.blockSize = blockSize;
            this.count = count;
            this.stride = stride;
        }

        public int blockCount() {
            return count;
        }

        /**
         * Copies {@code length} data bytes starting {@code from} bytes into the run (checksums skipped) to {@code dst}
         * at {@code dstIndex}; absolute, neither position moves.
         */
        public void copyTo(long from, ByteBuffer dst, int dstIndex, int length) {
            long at = from;
            int to = dstIndex;
            int left = length;
            while (left > 0) {
                int block = (int) (at / blockSize);
                int within = (int) (at % blockSize);
                int n = Math.min(left, blockSize - within);
                dst.put(to, raw, base + block * stride + within, n);
                at += n;
                to += n;
                left -= n;
            }
        }
    }

    private VerifiedBlocks verifyBlocks(String key, long seq, long firstSlot, int count, ObjectData d) {
        int stride = blockSize + 4;
        ByteBuffer src = d.data().order(ByteOrder.LITTLE_ENDIAN);
        if (src.remaining() != count * stride) {
            throw new CorruptionException(key, d.offset(), "expected " + count + " blocks (" + count * stride
                    + " bytes) but the segment ends after " + src.remaining());
        }
        CRC32C crc = new CRC32C();
        ByteBuffer prefixBuf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer view = src.duplicate();
        int base = src.position();
        for (int i = 0; i < count; i++) {
            int at = base + i * stride;
            int stored = src.getInt(at + blockSize);
            int actual = SegmentBuilder.blockCrc(seq, firstSlot + i, view, at, blockSize, crc, prefixBuf);
            if (stored != actual) {
                throw new CorruptionException(key, d.offset() + (long) i * stride, String.format(
                        "data block %d checksum mismatch: stored %08x, computed %08x", firstSlot + i, stored, actual));
            }
        }
        return new VerifiedBlocks(src, base, blockSize, count, stride);
    }

    /**
     * The frame directory of segment {@code seq} (framed segments only): remembered, or read with the header in one
     * GET (two if the directory is longer than {@value #DIRECTORY_GUESS_BYTES} bytes). A failed read is not remembered.
     */
    CompletableFuture<FrameDirectory> directory(long seq) {
        CompletableFuture<FrameDirectory> known = directories.get(seq);
        if (known != null && !known.isCompletedExceptionally()) {
            return known;
        }
        if (directories.size() >= MAX_DIRECTORIES) {
            Iterator<Long> it = directories.keySet().iterator();
            for (int i = 0; i < MAX_DIRECTORIES / 4 && it.hasNext(); i++) {
                it.next();
                it.remove();
            }
        }
        String key = key(seq);
        CompletableFuture<FrameDirectory> loaded = store.get(key, ByteRange.of(0, DIRECTORY_GUESS_BYTES)).thenCompose(d -> {
            ByteBuffer b = d.data().order(ByteOrder.LITTLE_ENDIAN);
            SegmentHeader h = SegmentHeader.decode(key, b);
            if (!h.isFramed() || h.seq() != seq || h.blockSizeBytes() != blockSize) {
                throw new CorruptionException(key, 0, "segment header says format " + h.version().number() + ", seq "
                        + h.seq() + ", blocks of " + h.blockSizeBytes() + " bytes; expected an encoded segment (format 3)"
                        + " of seq " + seq + " with blocks of " + blockSize + " bytes");
            }
            int at = b.position() + SegmentHeader.BYTES;
            if (b.limit() - at < 4) {
                throw new CorruptionException(key, SegmentHeader.BYTES, "segment ends before its frame directory");
            }
            long slots = b.getInt(at) & 0xffffffffL;
            long length = FrameDirectory.bytes(FrameDirectory.frameCount(slots, h.blocksPerFrame()));
            if (at + length <= b.limit()) {
                return CompletableFuture.completedFuture(FrameDirectory.decode(key, seq, blockSize, h.blocksPerFrame(),
                        b.duplicate().position(at)));
            }
            if (length > Integer.MAX_VALUE) {
                throw new CorruptionException(key, SegmentHeader.BYTES, "frame directory of " + slots + " blocks is too long");
            }
            return store.get(key, ByteRange.of(SegmentHeader.BYTES, length)).thenApply(rest ->
                    FrameDirectory.decode(key, seq, blockSize, h.blocksPerFrame(), rest.data()));
        });
        directories.put(seq, loaded);
        loaded.whenComplete((dir, e) -> {
            if (e != null) {
                directories.remove(seq, loaded);
            }
        });
        return loaded;
    }

    /**
     * The bytes {@code [from, to)} that hold slots {@code [firstSlot, firstSlot + count)}: exactly those slots in raw
     * frames, whole frames where compressed.
     */
    private long[] byteRange(String key, FrameDirectory dir, long firstSlot, int count) {
        long last = firstSlot + count - 1;
        if (firstSlot < 0 || count < 1 || last >= dir.slots()) {
            throw new CorruptionException(key, SegmentHeader.BYTES, "a read of blocks " + firstSlot + ".." + last
                    + " but the segment holds " + dir.slots());
        }
        int stride = blockSize + 4;
        int k1 = dir.frameOf(firstSlot);
        int k2 = dir.frameOf(last);
        long from = dir.codec(k1) == Compression.NONE ? dir.offset(k1) + (firstSlot - dir.firstSlot(k1)) * stride : dir.offset(k1);
        long to = dir.codec(k2) == Compression.NONE ? dir.offset(k2) + (last + 1 - dir.firstSlot(k2)) * stride
                : dir.offset(k2) + dir.storedLength(k2);
        return new long[] {from, to};
    }

    /** Verifies and unpacks the frames fetched as {@code range}, keeping slots {@code [firstSlot, firstSlot + count)}. */
    private VerifiedBlocks unpack(String key, long seq, FrameDirectory dir, long firstSlot, int count, long[] range, ObjectData d) {
        int stride = blockSize + 4;
        long from = range[0];
        ByteBuffer src = d.data().order(ByteOrder.LITTLE_ENDIAN);
        if (src.remaining() != range[1] - range[0]) {
            throw new CorruptionException(key, from, "expected " + (range[1] - range[0]) + " bytes of frames but the segment"
                    + " ends after " + src.remaining());
        }
        int base = src.position();
        ByteBuffer outBuf = ByteBuffer.allocate(count * blockSize);
        CRC32C crc = new CRC32C();
        ByteBuffer prefixBuf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer view = src.duplicate();
        long last = firstSlot + count - 1;
        for (int k = dir.frameOf(firstSlot); k <= dir.frameOf(last); k++) {
            long lo = Math.max(firstSlot, dir.firstSlot(k));
            long hi = Math.min(last + 1, dir.firstSlot(k) + dir.blocksIn(k));
            if (dir.codec(k) == Compression.NONE) {
                for (long slot = lo; slot < hi; slot++) {
                    int at = base + (int) (dir.offset(k) + (slot - dir.firstSlot(k)) * stride - from);
                    int stored = src.getInt(at + blockSize);
                    int actual = SegmentBuilder.blockCrc(seq, slot, view, at, blockSize, crc, prefixBuf);
                    if (stored != actual) {
                        throw new CorruptionException(key, from + at - base, String.format(
                                "data block %d checksum mismatch: stored %08x, computed %08x", slot, stored, actual));
                    }
                    outBuf.put((int) (slot - firstSlot) * blockSize, src, at, blockSize);
                }
                continue;
            }
            int at = base + (int) (dir.offset(k) - from);
            byte[] plain = unpackFrame(key, seq, dir, k, src, at, blockSize);
            outBuf.put((int) (lo - firstSlot) * blockSize, plain, (int) (lo - dir.firstSlot(k)) * blockSize,
                    (int) (hi - lo) * blockSize);
        }
        return new VerifiedBlocks(outBuf, 0, blockSize, count, blockSize);
    }

    /**
     * Checks compressed frame {@code k} (at {@code at} in {@code src}) against its checksum and decompresses it to its
     * blocks; a mismatch or a frame that does not decompress to exactly its blocks is corruption naming the frame.
     */
    static byte[] unpackFrame(String key, long seq, FrameDirectory dir, int k, ByteBuffer src, int at, int blockSize) {
        int length = dir.storedLength(k) - 4;
        byte[] packed = new byte[length];
        src.get(at, packed, 0, length);
        int stored = src.order(ByteOrder.LITTLE_ENDIAN).getInt(at + length);
        int actual = SegmentBuilder.frameCrc(seq, k, packed, length);
        if (stored != actual) {
            throw new CorruptionException(key, dir.offset(k), String.format(
                    "data frame %d checksum mismatch: stored %08x, computed %08x", k, stored, actual));
        }
        byte[] plain = new byte[dir.blocksIn(k) * blockSize];
        Compression c = dir.codec(k);
        String unavailable = FrameCodec.unavailableReason(c);
        if (unavailable != null) {
            throw new IllegalStateException(unavailable);
        }
        try {
            FrameCodec.decoder(c).decompress(packed, 0, length, plain, plain.length);
        } catch (IllegalArgumentException e) {
            throw new CorruptionException(key, dir.offset(k), "data frame " + k + ": " + e.getMessage(), e);
        }
        return plain;
    }

    /** Reads and checks the extent table of segment {@code seq}, given its footer. */
    public CompletableFuture<List<ExtentRecord>> extentTable(long seq, SegmentFooter footer) {
        String key = key(seq);
        if (footer.extentTableLength() == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        return store.get(key, ByteRange.of(footer.extentTableOffset(), footer.extentTableLength())).thenApply(d -> {
            ByteBuffer b = d.data().order(ByteOrder.LITTLE_ENDIAN);
            int computed = Crc32c.of(b);
            if (computed != footer.extentTableCrc() || b.remaining() % ExtentRecord.BYTES != 0) {
                throw CorruptionException.checksum(key, footer.extentTableOffset(), "extent table", footer.extentTableCrc(), computed);
            }
            List<ExtentRecord> records = new ArrayList<>();
            while (b.hasRemaining()) {
                records.add(new ExtentRecord(ExtentKind.fromCode(b.get()), b.getLong(), b.getLong(), b.getLong()));
            }
            return records;
        });
    }

    /** The key of segment {@code seq}. */
    private String key(long seq) {
        int slot = (int) seq & (KEYS - 1);
        Key k = keys[slot];
        if (k == null || k.seq != seq) {
            k = new Key(seq, SegmentKeys.segment(prefix, seq));
            keys[slot] = k;
        }
        return k.key;
    }
}
