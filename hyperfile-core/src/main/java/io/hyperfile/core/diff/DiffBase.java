package io.hyperfile.core.diff;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * The object {@code P/diffbase} of a volume that diffs are imported into: which checkpoint of which source volume
 * its content equals ({@link State#AT}), or which diff is being applied to it ({@link State#APPLYING}: an import
 * started and has not finished; the content is somewhere between the base and the target). 72 bytes, little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFDIFFBS"
 *   8     2   version (1)
 *  10     2   state: 1 AT, 2 APPLYING
 *  12     4   block size in bytes
 *  16    16   source volume id (UUID, most significant long first)
 *  32     8   APPLYING: the diff's base seq; AT: 0
 *  40     8   AT: the source seq the content equals; APPLYING: the diff's target seq
 *  48     8   AT: this volume's newest checkpoint right after the import's flush; APPLYING: its newest before the import
 *  56     8   time written, ms since the epoch
 *  64     4   reserved (0)
 *  68     4   CRC32C of bytes 0..67
 * </pre>
 */
public record DiffBase(State state, int blockSizeBytes, UUID sourceVolumeId, long baseSeq, long sourceSeq, long destSeq,
        long writtenMillis) {
    public static final int BYTES = 72;
    static final String KEY = "diffbase";
    private static final byte[] MAGIC = "HFDIFFBS".getBytes(StandardCharsets.US_ASCII);

    /** Where the volume is in a chain of diffs. */
    public enum State {
        AT(1), APPLYING(2);

        final int code;

        State(int code) {
            this.code = code;
        }
    }

    /** The record's key for the volume at {@code prefix}. */
    public static String key(String prefix) {
        return prefix + KEY;
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) 1).putShort((short) state.code).putInt(blockSizeBytes);
        b.putLong(sourceVolumeId.getMostSignificantBits()).putLong(sourceVolumeId.getLeastSignificantBits());
        b.putLong(baseSeq).putLong(sourceSeq).putLong(destSeq).putLong(writtenMillis).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, BYTES - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    public static DiffBase decode(String key, ByteBuffer src) {
        byte[] bytes = new byte[src.remaining()];
        src.duplicate().get(bytes);
        if (bytes.length != BYTES || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptionException(key, 0, "not a diff base record (" + bytes.length + " bytes, bad size or magic)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, BYTES - 4);
        if (b.getInt(BYTES - 4) != (int) crc.getValue()) {
            throw CorruptionException.checksum(key, 0, "diff base record", b.getInt(BYTES - 4), (int) crc.getValue());
        }
        int code = Short.toUnsignedInt(b.getShort(10));
        State state = code == 1 ? State.AT : code == 2 ? State.APPLYING : null;
        if (state == null || b.getShort(8) != 1) {
            throw new CorruptionException(key, 8, "unknown diff base version or state " + code);
        }
        return new DiffBase(state, b.getInt(12), new UUID(b.getLong(16), b.getLong(24)), b.getLong(32), b.getLong(40),
                b.getLong(48), b.getLong(56));
    }

    /** The record of the volume at {@code prefix}, or null if it has none. */
    public static CompletableFuture<DiffBase> read(ObjectStore store, String prefix) {
        String k = key(prefix);
        return store.get(k, ByteRange.all()).thenApply(d -> decode(k, d.data())).exceptionally(e -> {
            if (Exceptions.unwrap(e) instanceof ObjectNotFoundException) {
                return null;
            }
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        });
    }

    public CompletableFuture<Void> write(ObjectStore store, String prefix) {
        return store.put(key(prefix), encode());
    }

    @Override
    public String toString() {
        return state == State.AT ? "equal to " + sourceVolumeId + " seq " + sourceSeq
                : "half-applied diff of " + sourceVolumeId + " from seq " + baseSeq + " to seq " + sourceSeq;
    }
}
