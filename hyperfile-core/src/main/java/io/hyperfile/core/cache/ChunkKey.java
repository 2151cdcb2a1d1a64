package io.hyperfile.core.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * Names one cached chunk: chunk {@code chunkIndex} (bytes {@code chunkIndex × chunkSize ..}) of segment {@code seq}
 * of the volume whose descriptor holds {@code volumeId}. The volume id makes a volume deleted and created again
 * under the same prefix miss the old volume's chunks. Stored in the index as {@link #BYTES} little-endian bytes:
 * volume id (most significant long, least significant long), seq, chunk index.
 */
record ChunkKey(UUID volumeId, long seq, long chunkIndex) {
    static final int BYTES = 32;

    byte[] encode() {
        byte[] b = new byte[BYTES];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(volumeId.getMostSignificantBits())
                .putLong(volumeId.getLeastSignificantBits()).putLong(seq).putLong(chunkIndex);
        return b;
    }

    static ChunkKey decode(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("chunk key must have " + BYTES + " bytes. length=" + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return new ChunkKey(new UUID(b.getLong(), b.getLong()), b.getLong(), b.getLong());
    }
}
