package io.hyperfile.core.checkpoint;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The content of a snapshot object {@code P/snap/<name>}: the sequence number of the checkpoint it pins. 24 bytes,
 * little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFSNAPSH"
 *   8     2   record version (1)
 *  10     2   flags (0)
 *  12     8   checkpoint seq (0: the empty volume)
 *  20     4   CRC32C of bytes 0..19
 * </pre>
 *
 * Example, seq 42: {@code 4846534e41505348 0100 0000 2a00000000000000 2a3ff7d3} (CRC32C 0xd3f73f2a).
 *
 * <p>Snapshots written before this record existed hold the seq in ASCII decimal and a newline ({@code "42\n"}); they
 * are still read (a record starts with {@code 'H'}, never a digit, so the two forms cannot be confused), but they
 * carry no checksum. Anything else, including a record whose checksum does not match, is reported as corruption
 * naming the object. Immutable.
 *
 * @param seq the pinned checkpoint's sequence number; non-negative
 */
public record SnapshotRecord(long seq) {
    public static final int BYTES = 24;
    /** The record version this build writes and the newest it reads. */
    public static final int VERSION = 1;
    private static final byte[] MAGIC = "HFSNAPSH".getBytes(StandardCharsets.US_ASCII);
    private static final int CRC_OFFSET = 20;
    /** The unchecksummed form written before the record: 1 to 19 digits, optionally followed by a newline. */
    private static final Pattern LEGACY = Pattern.compile("[0-9]{1,19}\n?");

    public SnapshotRecord {
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be non-negative. seq=" + seq);
        }
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) 0).putLong(seq);
        b.putInt(CRC_OFFSET, Crc32c.of(b.array(), 0, CRC_OFFSET));
        return b.position(0);
    }

    /** Decodes a record, or the legacy ASCII form; {@link CorruptionException} naming {@code key} for anything else. */
    public static SnapshotRecord decode(String key, ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        if (b.remaining() >= MAGIC.length && Arrays.equals(MAGIC, 0, MAGIC.length, bytes(b, start, MAGIC.length), 0, MAGIC.length)) {
            return decodeRecord(key, b, start);
        }
        return decodeLegacy(key, bytes(b, start, b.remaining()));
    }

    private static SnapshotRecord decodeRecord(String key, ByteBuffer b, int start) {
        if (b.remaining() != BYTES) {
            throw new CorruptionException(key, 0, "snapshot record has " + b.remaining() + " bytes, expected " + BYTES);
        }
        int stored = b.getInt(start + CRC_OFFSET);
        int computed = Crc32c.ofRange(b, start, start + CRC_OFFSET);
        if (stored != computed) {
            throw CorruptionException.checksum(key, CRC_OFFSET, "snapshot record", stored, computed);
        }
        int version = b.getShort(start + 8) & 0xffff;
        if (version != VERSION) {
            throw new CorruptionException(key, 8, "snapshot record version " + version + " is not supported; this build reads version "
                    + VERSION);
        }
        int flags = b.getShort(start + 10) & 0xffff;
        if (flags != 0) {
            throw new CorruptionException(key, 10, "snapshot record has unknown flags 0x" + Integer.toHexString(flags));
        }
        long seq = b.getLong(start + 12);
        if (seq < 0) {
            throw new CorruptionException(key, 12, "snapshot record holds a negative checkpoint seq " + seq);
        }
        return new SnapshotRecord(seq);
    }

    private static SnapshotRecord decodeLegacy(String key, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (LEGACY.matcher(text).matches()) {
            try {
                return new SnapshotRecord(Long.parseLong(text.strip()));
            } catch (NumberFormatException e) {
                // 19 digits above Long.MAX_VALUE: reported below
            }
        }
        String shown = text.length() > 32 ? text.substring(0, 32) + "..." : text;
        throw new CorruptionException(key, 0, "not a snapshot record (bad magic) nor a legacy checkpoint number: "
                + bytes.length + " bytes '" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "'");
    }

    private static byte[] bytes(ByteBuffer b, int from, int length) {
        byte[] out = new byte[length];
        b.get(from, out);
        return out;
    }
}
