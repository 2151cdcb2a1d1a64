package io.hyperfile.core.segment;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.encoding.Compression;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Where the data frames of an encoded segment (format version 3) lie. It opens the data section, right after the
 * header, and frames follow it back to back. Frame {@code k} holds slots {@code [k·F, min((k+1)·F, slots))}, where
 * {@code F} (blocks per frame) is in the segment header. Little-endian:
 *
 * <pre>
 * offset   size field
 *  0        4   data block count (slots) s; the frame count n is ⌈s / F⌉
 *  4       4·n  one entry per frame: bits 0..27 the frame's stored length in bytes, bits 28..31 its codec
 *               (0 raw: the frame's slots as in version 1, each block followed by its CRC32C; 1 lz4, 2 zstd:
 *               the compressed blocks followed by CRC32C(seq u64 ‖ frame index u64 ‖ compressed bytes))
 *  4+4·n    4   CRC32C of (seq u64 ‖ bytes 0 .. 4+4·n)
 * </pre>
 *
 * Immutable.
 */
public final class FrameDirectory {
    static final int LENGTH_MASK = (1 << 28) - 1;
    private final int slots;
    private final int blocksPerFrame;
    private final int[] entries;
    /** Frame offsets in the object (int: 4 bytes a frame, for the directories a reader keeps; segments stay below 2 GiB). */
    private final int[] offsets;

    private FrameDirectory(int slots, int blocksPerFrame, int[] entries, int[] offsets) {
        this.slots = slots;
        this.blocksPerFrame = blocksPerFrame;
        this.entries = entries;
        this.offsets = offsets;
    }

    /** Frames needed for {@code slots} blocks at {@code blocksPerFrame}. */
    public static int frameCount(long slots, int blocksPerFrame) {
        return (int) ((slots + blocksPerFrame - 1) / blocksPerFrame);
    }

    /** Bytes of the directory of {@code frames} frames. */
    public static int bytes(int frames) {
        return 8 + 4 * frames;
    }

    /** A directory entry. */
    static int entry(int storedLength, Compression codec) {
        return storedLength | codec.code() << 28;
    }

    /** Writes a directory of {@code entries} for {@code slots} at {@code dst}'s index {@code at}. */
    static void encode(long seq, int slots, int[] entries, ByteBuffer dst, int at) {
        ByteBuffer b = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(at);
        b.putInt(slots);
        for (int e : entries) {
            b.putInt(e);
        }
        b.putInt(crc(seq, b, at, at + 4 + 4 * entries.length));
    }

    private static int crc(long seq, ByteBuffer b, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq));
        crc.update(b.duplicate().limit(to).position(from));
        return (int) crc.getValue();
    }

    /**
     * Decodes and checks the directory at {@code src}'s position (which is the segment's offset 64): its checksum
     * and that every entry is a possible frame. {@code key} names the object in errors.
     */
    public static FrameDirectory decode(String key, long seq, int blockSize, int blocksPerFrame, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        if (b.remaining() < 8) {
            throw new CorruptionException(key, SegmentHeader.BYTES, "frame directory truncated: " + b.remaining() + " bytes");
        }
        long slots = b.getInt(start) & 0xffffffffL;
        long frames = frameCount(slots, blocksPerFrame);
        if (slots > Integer.MAX_VALUE / 4 || b.remaining() < 8 + 4 * frames) {
            throw new CorruptionException(key, SegmentHeader.BYTES, "frame directory of " + slots + " blocks does not fit in "
                    + b.remaining() + " bytes");
        }
        int n = (int) frames;
        int stored = b.getInt(start + 4 + 4 * n);
        int computed = crc(seq, b, start, start + 4 + 4 * n);
        if (stored != computed) {
            throw CorruptionException.checksum(key, SegmentHeader.BYTES, "frame directory", stored, computed);
        }
        int stride = blockSize + 4;
        int[] entries = new int[n];
        int[] offsets = new int[n + 1];
        offsets[0] = SegmentHeader.BYTES + bytes(n);
        for (int k = 0; k < n; k++) {
            int e = b.getInt(start + 4 + 4 * k);
            int blocks = (int) Math.min(blocksPerFrame, slots - (long) k * blocksPerFrame);
            int length = e & LENGTH_MASK;
            int code = e >>> 28;
            boolean ok;
            try {
                Compression c = Compression.fromCode(code);
                ok = c == Compression.NONE ? length == blocks * stride : length > 4 && length <= blocks * stride;
            } catch (IllegalArgumentException unknown) {
                ok = false;
            }
            if (!ok) {
                throw new CorruptionException(key, SegmentHeader.BYTES + 4 + 4L * k, "frame " + k + " of " + blocks
                        + " blocks has an impossible entry: codec " + code + ", " + length + " bytes");
            }
            entries[k] = e;
            long next = (long) offsets[k] + length;
            if (next > Integer.MAX_VALUE) {
                throw new CorruptionException(key, SegmentHeader.BYTES + 4 + 4L * k, "frames run past 2 GiB at frame " + k);
            }
            offsets[k + 1] = (int) next;
        }
        return new FrameDirectory((int) slots, blocksPerFrame, entries, offsets);
    }

    /** Data blocks (slots) in the segment. */
    public int slots() {
        return slots;
    }

    public int frameCount() {
        return entries.length;
    }

    /** The frame holding {@code slot}. */
    public int frameOf(long slot) {
        return (int) (slot / blocksPerFrame);
    }

    /** The first slot of frame {@code k}. */
    public long firstSlot(int k) {
        return (long) k * blocksPerFrame;
    }

    /** Blocks in frame {@code k}. */
    public int blocksIn(int k) {
        return (int) Math.min(blocksPerFrame, slots - firstSlot(k));
    }

    /** Byte offset of frame {@code k} in the segment object. */
    public long offset(int k) {
        return offsets[k];
    }

    /** Bytes frame {@code k} takes in the object. */
    public int storedLength(int k) {
        return entries[k] & LENGTH_MASK;
    }

    /** How frame {@code k} is stored ({@link Compression#NONE}: raw slots). */
    public Compression codec(int k) {
        return Compression.fromCode(entries[k] >>> 28);
    }

    /** Where the data section ends: the byte after the last frame. */
    public long dataEnd() {
        return offsets[entries.length];
    }

    /** Bytes the frames take (the directory not included). */
    public long storedDataBytes() {
        return (long) offsets[entries.length] - offsets[0];
    }
}
