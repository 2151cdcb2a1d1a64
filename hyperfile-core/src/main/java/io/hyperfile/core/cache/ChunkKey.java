package io.hyperfile.core.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Names one cached chunk: chunk {@code chunkIndex} (bytes {@code chunkIndex × chunkSize ..}) of the segment object
 * {@code <prefix>seg/<seq>}, where {@code prefixId} stands for the volume prefix ({@link #prefixId(String)}). The key
 * names a store key, not an object: whether a cached chunk is still the bytes of the object under that key is
 * decided by the {@link SegmentIdentity} its entry records. Stored in the index as {@link #BYTES} little-endian
 * bytes: prefix id (most significant long, least significant long), seq, chunk index.
 */
record ChunkKey(UUID prefixId, long seq, long chunkIndex) {
    static final int BYTES = 32;

    /**
     * The name-based (MD5, version 3) UUID of a volume prefix's UTF-8 bytes. Two prefixes with one id would share
     * cache keys, never bytes: entries are served only to the object whose identity they record.
     */
    static UUID prefixId(String prefix) {
        return UUID.nameUUIDFromBytes(prefix.getBytes(StandardCharsets.UTF_8));
    }

    byte[] encode() {
        byte[] b = new byte[BYTES];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(prefixId.getMostSignificantBits())
                .putLong(prefixId.getLeastSignificantBits()).putLong(seq).putLong(chunkIndex);
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
