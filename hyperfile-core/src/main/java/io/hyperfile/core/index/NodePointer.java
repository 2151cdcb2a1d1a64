package io.hyperfile.core.index;

/**
 * Where a saved index node lives: segment {@code segmentSeq}, byte {@code offset} of that segment object (in its node section),
 * {@code length} bytes long. The length is part of the pointer so that one ranged read fetches the whole node.
 * Segments are immutable, so a pointer names the same bytes forever and is a safe cache key.
 */
public record NodePointer(long segmentSeq, long offset, int length) {
    public NodePointer {
        if (segmentSeq < 0 || segmentSeq > NodeLimits.MAX_SEGMENT_SEQ) {
            throw new IllegalArgumentException("segmentSeq out of range. segmentSeq=" + segmentSeq);
        }
        if (offset < 0 || offset > NodeLimits.MAX_NODE_OFFSET) {
            throw new IllegalArgumentException("offset out of range. offset=" + offset);
        }
        if (length <= 0 || length > NodeLimits.MAX_NODE_BYTES) {
            throw new IllegalArgumentException("length out of range. length=" + length);
        }
    }

    @Override
    public String toString() {
        return "node(seg " + segmentSeq + " @" + offset + "+" + length + ")";
    }
}
