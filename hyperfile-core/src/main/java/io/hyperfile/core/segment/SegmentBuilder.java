package io.hyperfile.core.segment;

import io.hyperfile.core.collect.LongIntMap;
import io.hyperfile.core.encoding.Compression;
import io.hyperfile.core.encoding.FrameCodec;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.format.FormatVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The write buffer of one flush window, laid out as the segment it becomes. Writes copy their payload once into
 * an off-heap buffer at the block's slot (a rewrite of a block in the same window overwrites its slot in place);
 * TRIM and WRITE_ZEROES, and written blocks that are all zero, are kept as block ranges and cost no data. At seal
 * time the builder yields the window's changes as {@link ExtentRecord}s; the index nodes, extent table and footer
 * are then appended behind the data, and {@link #finish} returns the whole segment, ready to upload.
 *
 * <p>Memory layout = segment layout: {@value SegmentHeader#BYTES}-byte header, then slot {@code i} at
 * {@code 64 + i * (blockSize + 4)}: the block's bytes followed by the CRC32C of (seq, slot, bytes), little-endian.
 *
 * <p>An encoded volume's builder ({@link SegmentEncoding#isEncoded()}) keeps the same slots in memory, so that
 * reads of the window and of the sealed segment copy from them unchanged; the first step after sealing that lays
 * out the trailer packs the slots into frames ({@link FrameDirectory}, compressed where that saves space, raw
 * otherwise) in a second buffer, which the trailer and footer follow and {@link #finish} returns.
 *
 * <p>Not thread-safe: writes and {@link #claims} run under the volume's lock. Once sealed, the slots no longer
 * change, so {@link #copyTo} may run while another thread appends the trailer (index nodes, table, footer).
 */
public final class SegmentBuilder {
    private final int blockSize;
    private final int stride;
    private final int maxBlocks;
    private final long seq;
    private final UUID volumeId;
    private final UUID writerId;
    private final ByteBuffer zeroBlock;
    private final SegmentEncoding encoding;
    /** Volatile: {@link #finish} may swap in a larger buffer while readers copy sealed slots from the old one. */
    private volatile ByteBuffer memory;
    /**
     * Block → slot of the blocks this window holds data for. Starts small and grows: a window closed by a FLUSH after
     * a few scattered writes (a new builder each time) should not clear a table sized for a full segment.
     */
    private final LongIntMap slots = new LongIntMap(64);
    /** Non-overlapping block ranges [start, end) → ZERO or HOLE, newest wins. */
    private final TreeMap<Long, long[]> ranges = new TreeMap<>();
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer crcPrefix = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    /** A view of {@link #memory} whose position and limit the block checksum moves (writes happen before seal only). */
    private final ByteBuffer crcView;
    private int usedSlots;
    private long firstChangeNanos = -1;
    private boolean sealed;
    /** Where the segment's bytes are assembled once sealed: {@link #memory} unencoded, the packed frames encoded. */
    private ByteBuffer out;
    private long trailerPosition = -1;
    private long nodeOffset = -1;

    /**
     * @param memory a buffer of at least {@link #minimumCapacity} bytes, owned by this builder until released
     * @param zeroBlock a read-only buffer of {@code blockSize} zero bytes, for spotting zero blocks
     */
    public SegmentBuilder(ByteBuffer memory, int blockSize, int maxBlocks, long seq, UUID volumeId, UUID writerId,
            ByteBuffer zeroBlock) {
        this(memory, blockSize, maxBlocks, seq, volumeId, writerId, zeroBlock, SegmentEncoding.NONE);
    }

    /**
     * A builder for a volume whose segments are stored with {@code encoding}.
     *
     * @param memory a buffer of at least {@link #minimumCapacity} bytes, owned by this builder until released
     * @param zeroBlock a read-only buffer of {@code blockSize} zero bytes, for spotting zero blocks
     */
    public SegmentBuilder(ByteBuffer memory, int blockSize, int maxBlocks, long seq, UUID volumeId, UUID writerId,
            ByteBuffer zeroBlock, SegmentEncoding encoding) {
        if (memory.capacity() < minimumCapacity(blockSize, maxBlocks)) {
            throw new IllegalArgumentException("buffer too small for " + maxBlocks + " blocks: " + memory.capacity());
        }
        this.memory = memory.order(ByteOrder.LITTLE_ENDIAN).clear();
        this.crcView = this.memory.duplicate();
        this.blockSize = blockSize;
        this.stride = blockSize + 4;
        this.maxBlocks = maxBlocks;
        this.seq = seq;
        this.volumeId = volumeId;
        this.writerId = writerId;
        this.zeroBlock = zeroBlock;
        this.encoding = encoding;
    }

    /** Bytes a builder of {@code maxBlocks} needs: header, slots, and room for a modest trailer. */
    public static int minimumCapacity(int blockSize, int maxBlocks) {
        return SegmentHeader.BYTES + maxBlocks * (blockSize + 4) + SegmentFooter.BYTES;
    }

    public long seq() {
        return seq;
    }

    /** The buffer this builder writes into (to hand back to a pool once the segment is durable). */
    public ByteBuffer memory() {
        return memory;
    }

    public boolean isEmpty() {
        return slots.isEmpty() && ranges.isEmpty();
    }

    public boolean isSealed() {
        return sealed;
    }

    /** Whether {@code blocks} more blocks can be written without sealing (rewrites of held blocks need no room). */
    public boolean hasRoomFor(int blocks) {
        return usedSlots + blocks <= maxBlocks;
    }

    public int usedSlots() {
        return usedSlots;
    }

    /** {@link System#nanoTime()} of the first change in this window, or -1 if none. */
    public long firstChangeNanos() {
        return firstChangeNanos;
    }

    /**
     * Writes one whole block from {@code src}'s position ({@code blockSize} bytes; the position does not move).
     * An all-zero block is recorded as a ZERO range instead. Requires room, unless the block is already held.
     */
    public void writeBlock(long blockNo, ByteBuffer src, long nowNanos) {
        writeBlock(blockNo, src, src.position(), nowNanos);
    }

    /**
     * As {@link #writeBlock(long, ByteBuffer, long)}, from {@code src}'s bytes at {@code srcIndex} (its position is
     * ignored and does not move): a request's payload block by block without a view of each block.
     */
    public void writeBlock(long blockNo, ByteBuffer src, int srcIndex, long nowNanos) {
        checkOpen();
        touch(nowNanos);
        ByteBuffer block = src.duplicate().limit(srcIndex + blockSize).position(srcIndex);
        if (block.mismatch(zeroBlock) == -1) {
            putRange(blockNo, blockNo + 1, ExtentKind.ZERO);
            return;
        }
        int slot = slots.get(blockNo, -1);
        if (slot < 0) {
            if (usedSlots == maxBlocks) {
                throw new IllegalStateException("segment builder " + seq + " is full");
            }
            slot = usedSlots++;
            slots.put(blockNo, slot);
        }
        int at = SegmentHeader.BYTES + slot * stride;
        memory.put(at, block, block.position(), blockSize);
        memory.putInt(at + blockSize, blockCrc(seq, slot, crcView, at, blockSize, crc, crcPrefix));
    }

    /** Records that {@code [startBlock, startBlock + count)} now holds ZERO or HOLE, superseding earlier writes. */
    public void writeRange(long startBlock, long count, ExtentKind kind, long nowNanos) {
        checkOpen();
        if (kind == ExtentKind.DATA) {
            throw new IllegalArgumentException("writeRange takes ZERO or HOLE");
        }
        touch(nowNanos);
        putRange(startBlock, startBlock + count, kind);
    }

    /** The slot holding {@code blockNo}, or -1. */
    public int slotOf(long blockNo) {
        return slots.get(blockNo, -1);
    }

    /** ZERO or HOLE if a range of this window covers {@code blockNo} (and no later write does), else null. */
    public ExtentKind rangeKindAt(long blockNo) {
        Map.Entry<Long, long[]> e = ranges.floorEntry(blockNo);
        return e != null && e.getValue()[0] > blockNo ? ExtentKind.fromCode((int) e.getValue()[1]) : null;
    }

    /** What this window says about {@code blockNo}: DATA (in a slot), ZERO, HOLE, or null (nothing). */
    public ExtentKind kindAt(long blockNo) {
        return slots.containsKey(blockNo) ? ExtentKind.DATA : rangeKindAt(blockNo);
    }

    /** Copies {@code length} bytes from {@code offsetInBlock} of the block in {@code slot} to {@code dst} at {@code dstIndex}. */
    public void copyTo(int slot, int offsetInBlock, ByteBuffer dst, int dstIndex, int length) {
        dst.put(dstIndex, memory, SegmentHeader.BYTES + slot * stride + offsetInBlock, length);
    }

    /** A piece of what this window holds: DATA blocks in consecutive slots from {@code slot}, or a ZERO/HOLE range. */
    public record Claim(long startBlock, long endBlock, ExtentKind kind, int slot) {
    }

    /**
     * What this window says about blocks {@code [start, end)}, in block order, without the blocks it says nothing
     * about. Written blocks take precedence over ranges.
     */
    public List<Claim> claims(long start, long end) {
        List<Claim> out = new ArrayList<>();
        long cursor = start;
        Map.Entry<Long, long[]> first = ranges.floorEntry(start);
        List<long[]> rs = new ArrayList<>();
        if (first != null && first.getValue()[0] > start) {
            rs.add(new long[] {start, Math.min(end, first.getValue()[0]), first.getValue()[1]});
        }
        for (Map.Entry<Long, long[]> e : ranges.subMap(start, false, end, false).entrySet()) {
            rs.add(new long[] {e.getKey(), Math.min(end, e.getValue()[0]), e.getValue()[1]});
        }
        int ri = 0;
        long[] held = slots.sortedKeys(start, end);
        int h = 0;
        while (cursor < end) {
            long nextSlotBlock = h < held.length ? held[h] : end;
            while (ri < rs.size() && rs.get(ri)[1] <= cursor) {
                ri++;
            }
            if (nextSlotBlock == cursor) {
                long runStart = cursor;
                int runSlot = slots.get(cursor, -1);
                long runEnd = cursor + 1;
                h++;
                while (h < held.length && held[h] == runEnd && slots.get(runEnd, -1) == runSlot + (runEnd - runStart)) {
                    runEnd++;
                    h++;
                }
                out.add(new Claim(runStart, runEnd, ExtentKind.DATA, runSlot));
                cursor = runEnd;
                continue;
            }
            if (ri < rs.size() && rs.get(ri)[0] <= cursor) {
                long[] r = rs.get(ri);
                long pieceEnd = Math.min(r[1], nextSlotBlock);
                out.add(new Claim(cursor, pieceEnd, ExtentKind.fromCode((int) r[2]), -1));
                cursor = pieceEnd;
                continue;
            }
            long nextRangeStart = ri < rs.size() ? rs.get(ri)[0] : end;
            cursor = Math.min(nextSlotBlock, nextRangeStart);
        }
        return out;
    }

    /**
     * Closes the window and returns its changes: the ZERO/HOLE ranges, then the runs of data blocks (consecutive
     * blocks in consecutive slots form one record). Applying them in this order gives the window's final state.
     */
    public List<ExtentRecord> seal() {
        checkOpen();
        sealed = true;
        List<ExtentRecord> records = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : ranges.entrySet()) {
            records.add(new ExtentRecord(ExtentKind.fromCode((int) e.getValue()[1]), e.getKey(), e.getValue()[0] - e.getKey(), 0));
        }
        long runStart = -1;
        long runSlot = -1;
        long runLength = 0;
        for (long block : slots.sortedKeys()) {
            int slot = slots.get(block, -1);
            if (runLength > 0 && block == runStart + runLength && slot == runSlot + runLength) {
                runLength++;
                continue;
            }
            if (runLength > 0) {
                records.add(new ExtentRecord(ExtentKind.DATA, runStart, runLength, runSlot));
            }
            runStart = block;
            runSlot = slot;
            runLength = 1;
        }
        if (runLength > 0) {
            records.add(new ExtentRecord(ExtentKind.DATA, runStart, runLength, runSlot));
        }
        if (!encoding.isEncoded()) {
            layOutData();
        }
        return records;
    }

    /**
     * Fixes where the trailer starts, once: right after the slots for an unencoded segment; for an encoded one,
     * after the frames that this packs the slots into.
     */
    private void layOutData() {
        if (nodeOffset >= 0) {
            return;
        }
        if (encoding.isEncoded()) {
            out = packFrames();
            trailerPosition = out.position();
        } else {
            out = memory;
            trailerPosition = SegmentHeader.BYTES + (long) usedSlots * stride;
        }
        nodeOffset = trailerPosition;
    }

    /**
     * Packs the slots into frames of {@link SegmentEncoding#blocksPerFrame} blocks behind a header-sized gap and the
     * directory: each frame compressed when that saves at least 1/32 of its raw size, raw slots otherwise (so
     * incompressible data costs 4 bytes per frame). Returns the buffer positioned after the last frame.
     */
    private ByteBuffer packFrames() {
        int perFrame = encoding.blocksPerFrame(blockSize);
        int frames = FrameDirectory.frameCount(usedSlots, perFrame);
        FrameCodec codec = encoding.codec();
        byte[] plain = new byte[perFrame * blockSize];
        byte[] packed = new byte[codec.maxCompressedLength(plain.length)];
        int dataStart = SegmentHeader.BYTES + FrameDirectory.bytes(frames);
        ByteBuffer o = ByteBuffer.allocate(dataStart + usedSlots * stride + (64 << 10)).order(ByteOrder.LITTLE_ENDIAN);
        int[] entries = new int[frames];
        int at = dataStart;
        for (int k = 0; k < frames; k++) {
            int first = k * perFrame;
            int blocks = Math.min(perFrame, usedSlots - first);
            int rawLength = blocks * stride;
            for (int i = 0; i < blocks; i++) {
                memory.get(SegmentHeader.BYTES + (first + i) * stride, plain, i * blockSize, blockSize);
            }
            int n = codec.compress(plain, blocks * blockSize, packed);
            if (n + 4 <= rawLength - rawLength / 32) {
                o.put(at, packed, 0, n);
                o.putInt(at + n, frameCrc(seq, k, packed, n));
                entries[k] = FrameDirectory.entry(n + 4, codec.compression());
                at += n + 4;
            } else {
                o.put(at, memory, SegmentHeader.BYTES + first * stride, rawLength);
                entries[k] = FrameDirectory.entry(rawLength, Compression.NONE);
                at += rawLength;
            }
        }
        FrameDirectory.encode(seq, usedSlots, entries, o, SegmentHeader.BYTES);
        return o.position(at);
    }

    /** The checksum after a compressed frame: CRC32C over seq and frame index (8 bytes each, LE), then the bytes. */
    public static int frameCrc(long seq, long frame, byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq).putLong(8, frame));
        c.update(bytes, 0, length);
        return (int) c.getValue();
    }

    /**
     * Drops the index nodes, extent table and footer appended since {@link #seal()}, so that an index step that
     * failed half-way (a node fetch that timed out, say) can run again on the same sealed data.
     */
    public void rewindTrailer() {
        if (!sealed) {
            throw new IllegalStateException("rewindTrailer() comes after seal()");
        }
        layOutData();
        trailerPosition = nodeOffset;
    }

    /** Appends an encoded index node after the data and returns its byte offset in the segment. */
    public long appendNode(ByteBuffer node) {
        if (!sealed) {
            throw new IllegalStateException("nodes are appended after seal()");
        }
        layOutData();
        long at = trailerPosition;
        append(node);
        return at;
    }

    /**
     * Appends the extent table and footer and returns the finished segment (position 0 to its end). The footer
     * is built by {@code footer} from the section layout and checksums computed here.
     */
    public ByteBuffer finish(List<ExtentRecord> records, FooterFactory footer) {
        if (!sealed) {
            throw new IllegalStateException("finish() comes after seal()");
        }
        layOutData();
        long nodeLength = trailerPosition - nodeOffset;
        int nodeCrc = crcOf(nodeOffset, nodeLength);
        ByteBuffer table = ByteBuffer.allocate(records.size() * ExtentRecord.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (ExtentRecord r : records) {
            table.put((byte) r.kind().code()).putLong(r.startBlock()).putLong(r.blockCount()).putLong(r.dataBlockOffset());
        }
        long tableOffset = trailerPosition;
        append(table.flip());
        int tableCrc = crcOf(tableOffset, table.capacity());

        FormatVersion version = encoding.isEncoded() ? FormatVersion.V3 : FormatVersion.V1;
        new SegmentHeader(blockSize, volumeId, seq, writerId, version,
                encoding.isEncoded() ? encoding.blocksPerFrame(blockSize) : 0).encode(out, 0);
        int headerCrc = out.getInt(60);
        int dataCrc;
        if (encoding.isEncoded()) {
            dataCrc = crcOf(SegmentHeader.BYTES, nodeOffset - SegmentHeader.BYTES);
        } else {
            CRC32C crcs = new CRC32C();
            for (int i = 0; i < usedSlots; i++) {
                crcs.update(memory.duplicate().position(SegmentHeader.BYTES + i * stride + blockSize)
                        .limit(SegmentHeader.BYTES + i * stride + stride));
            }
            dataCrc = (int) crcs.getValue();
        }
        SegmentFooter f = footer.create(SegmentHeader.BYTES, usedSlots, nodeOffset, nodeLength, tableOffset,
                table.capacity(), headerCrc, dataCrc, nodeCrc, tableCrc);
        append(f.encode(version));
        return out.duplicate().position(0).limit((int) trailerPosition).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Builds the footer once the layout is known. */
    @FunctionalInterface
    public interface FooterFactory {
        SegmentFooter create(long dataOffset, long dataBlockCount, long nodeOffset, long nodeLength,
                long extentTableOffset, long extentTableLength, int headerCrc, int blockCrcsCrc, int nodeCrc,
                int extentTableCrc);
    }

    /**
     * The checksum stored after each data block: CRC32C over seq and slot (8 bytes each, LE), then the block.
     * Moves {@code src}'s position and limit (pass a duplicate you own).
     */
    public static int blockCrc(long seq, long slot, ByteBuffer src, int at, int blockSize, CRC32C crc, ByteBuffer prefix) {
        crc.reset();
        prefix.clear();
        prefix.putLong(0, seq).putLong(8, slot);
        crc.update(prefix);
        // src is only a view here: its position and limit are moved, not its bytes.
        src.limit(at + blockSize).position(at);
        crc.update(src);
        return (int) crc.getValue();
    }

    private int crcOf(long offset, long length) {
        return Crc32c.ofRange(out, offset, offset + length);
    }

    private void append(ByteBuffer src) {
        int need = (int) trailerPosition + src.remaining();
        if (need > out.capacity()) {
            int capacity = Math.max(need, out.capacity() + out.capacity() / 2);
            ByteBuffer bigger = (out.isDirect() ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity))
                    .order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(out.duplicate().position(0).limit((int) trailerPosition));
            if (out == memory) {
                memory = bigger;
            }
            out = bigger;
        }
        out.put((int) trailerPosition, src, src.position(), src.remaining());
        trailerPosition += src.remaining();
    }

    private void putRange(long start, long end, ExtentKind kind) {
        // Writes inside the range are superseded.
        slots.removeRange(start, end);
        // Cut overlapping ranges, then insert.
        Map.Entry<Long, long[]> left = ranges.lowerEntry(start);
        if (left != null && left.getValue()[0] > start) {
            long[] v = left.getValue();
            if (v[0] > end) {
                ranges.put(end, new long[] {v[0], v[1]});
            }
            v[0] = start;
        }
        Iterator<Map.Entry<Long, long[]>> it = ranges.subMap(start, true, end, false).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, long[]> e = it.next();
            long[] v = e.getValue();
            it.remove();
            if (v[0] > end) {
                ranges.put(end, v);
                break;
            }
        }
        ranges.put(start, new long[] {end, kind.code()});
    }

    private void touch(long nowNanos) {
        if (firstChangeNanos < 0) {
            firstChangeNanos = nowNanos;
        }
    }

    private void checkOpen() {
        if (sealed) {
            throw new IllegalStateException("segment builder " + seq + " is sealed");
        }
    }
}
