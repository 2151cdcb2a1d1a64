package io.hyperfile.core.index;

import java.nio.ByteBuffer;

/**
 * Where {@link MutableBlockIndex#save} writes encoded nodes: the node section of the segment being built. The
 * caller knows the segment's sequence number and passes it to {@code save}.
 *
 * <p>Guarantee expected from implementations: {@link #append} stores the bytes so that a later ranged read of
 * {@code (segmentSeq, returned offset, buffer length)} returns them unchanged. Children are always appended before
 * their parents.
 */
@FunctionalInterface
public interface NodeSink {
    /**
     * Appends one encoded node (position to limit of {@code encodedNode}, which the sink copies: the caller reuses
     * the buffer for the next node once this returns) and returns its byte offset in the segment object (0 to
     * {@link NodeLimits#MAX_NODE_OFFSET}).
     */
    long append(ByteBuffer encodedNode);
}
