package io.hyperfile.core.cache;

import io.hyperfile.core.crypto.ObjectEnvelope;
import io.hyperfile.core.segment.SegmentHeader;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Which object a segment key names: the writer id from the segment's header and the object's size. A writer writes
 * each seq once (docs/FORMAT.md, invariants 1 and 4), so two objects under one segment key with equal identities
 * hold equal bytes; a segment rolled back and written again, or written by a copy of the volume, has another writer
 * and so another identity. Every cached chunk records the identity of the object it came from. An encrypted volume's
 * segment (an envelope, docs/ENCRYPTION.md) is identified by its envelope's salt instead, which each write draws anew.
 */
record SegmentIdentity(UUID writerId, long objectSize) {

    /**
     * The identity of the segment {@code seq} whose first bytes are {@code header} (position to limit) and whose size
     * is {@code objectSize}, or null if they do not start with a valid header of that seq (not a segment the cache
     * can vouch for; reads of it pass through).
     */
    static SegmentIdentity of(String key, long seq, ByteBuffer header, long objectSize) {
        UUID sealed = ObjectEnvelope.writeId(header);
        if (sealed != null) {
            return new SegmentIdentity(sealed, objectSize); // an encrypted volume's segment: the salt names the write
        }
        if (header.remaining() < SegmentHeader.BYTES) {
            return null;
        }
        try {
            SegmentHeader h = SegmentHeader.decode(key, header);
            return h.seq() == seq ? new SegmentIdentity(h.writerId(), objectSize) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
