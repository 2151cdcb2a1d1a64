package io.hyperfile.core.index;

import io.hyperfile.core.CorruptionException;

/**
 * Bytes read for an index node are not a valid node: wrong length, checksum mismatch, or a structure that breaks
 * the format (unsorted, overlapping, counts out of bounds, a child that does not match its parent). The message names
 * the node's segment, its byte offset in that segment object and its length and, for checksum failures, the
 * expected (stored) and actual (computed) CRC32C. Never retried: callers switch the volume to read-only and report it
 * (see the error model in {@code style.md}).
 *
 * <p>The index does not know object keys, so {@link #key()} is {@code "segment <seq> node section"} and
 * {@link #offset()} is the node's offset within that section; {@link #pointer()} has both as numbers.
 */
public class NodeCorruptionException extends CorruptionException {
    private static final long serialVersionUID = 1L;

    private final transient NodePointer pointer;

    public NodeCorruptionException(NodePointer pointer, String what) {
        super("segment " + pointer.segmentSeq() + " node section", pointer.offset(),
                "index node of " + pointer.length() + " bytes: " + what);
        this.pointer = pointer;
    }

    static NodeCorruptionException checksum(NodePointer pointer, int expected, int actual) {
        return new NodeCorruptionException(pointer,
                "checksum mismatch: expected CRC32C 0x%08x, actual 0x%08x".formatted(expected, actual));
    }

    public NodePointer pointer() {
        return pointer;
    }

    public long segmentSeq() {
        return pointer.segmentSeq();
    }
}
