package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectData;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * Reads the parts of stored segments, verifying every byte: footers (one suffix GET), data blocks (each against its
 * own CRC32C, which also binds it to its segment and slot, so a block read from the wrong place fails too) and
 * extent tables. Stateless and thread-safe.
 */
public final class SegmentReader {
    private final ObjectStore store;
    private final String prefix;
    private final int blockSize;

    public SegmentReader(ObjectStore store, String prefix, int blockSize) {
        this.store = store;
        this.prefix = prefix;
        this.blockSize = blockSize;
    }

    /** Reads and checks the footer of segment {@code seq}. */
    public CompletableFuture<SegmentFooter> footer(long seq) {
        String key = SegmentKeys.segment(prefix, seq);
        return store.get(key, ByteRange.suffix(SegmentFooter.BYTES)).thenApply(d -> {
            if (d.objectSize() < SegmentHeader.BYTES + SegmentFooter.BYTES) {
                throw new CorruptionException(key, 0, "segment is " + d.objectSize() + " bytes, too short to be one");
            }
            return SegmentFooter.decode(key, d.offset(), d.data(), seq, d.objectSize());
        });
    }

    /** Reads and checks the header of segment {@code seq}. */
    public CompletableFuture<SegmentHeader> header(long seq) {
        String key = SegmentKeys.segment(prefix, seq);
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
        String key = SegmentKeys.segment(prefix, seq);
        int stride = blockSize + 4;
        long at = SegmentHeader.BYTES + firstSlot * stride;
        return store.get(key, ByteRange.of(at, (long) count * stride)).thenApply(d -> verifyBlocks(key, seq, firstSlot, count, d));
    }

    /** Fetches {@code count} data blocks (with their checksums) and drops them: read-ahead into a caching store. */
    public CompletableFuture<Long> prefetch(long seq, long firstSlot, int count) {
        int stride = blockSize + 4;
        return store.get(SegmentKeys.segment(prefix, seq), ByteRange.of(SegmentHeader.BYTES + firstSlot * stride,
                (long) count * stride)).thenApply(d -> (long) d.length());
    }

    /** Verified data blocks as fetched: each block followed by its 4-byte checksum. */
    public static final class VerifiedBlocks {
        private final ByteBuffer raw;
        private final int base;
        private final int blockSize;
        private final int count;

        VerifiedBlocks(ByteBuffer raw, int base, int blockSize, int count) {
            this.raw = raw;
            this.base = base;
            this.blockSize = blockSize;
            this.count = count;
        }

        public int blockCount() {
            return count;
        }

        /**
         * Copies {@code length} data bytes starting {@code from} bytes into the run (checksums skipped) to {@code dst}
         * at {@code dstIndex}; absolute, neither position moves.
         */
        public void copyTo(long from, ByteBuffer dst, int dstIndex, int length) {
            int stride = blockSize + 4;
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
        return new VerifiedBlocks(src, base, blockSize, count);
    }

    /** Reads and checks the extent table of segment {@code seq}, given its footer. */
    public CompletableFuture<List<ExtentRecord>> extentTable(long seq, SegmentFooter footer) {
        String key = SegmentKeys.segment(prefix, seq);
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
}
