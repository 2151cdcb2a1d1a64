package io.hyperfile.core.cache;

import java.util.UUID;

/**
 * A segment read or written through the cache: its store key, the key taken apart, and the id of its prefix in
 * cache keys ({@link ChunkKey#prefixId}).
 */
record SegmentRef(String key, SegmentName segment, UUID prefixId) {

    long seq() {
        return segment.seq();
    }

    /** The cache key of chunk {@code chunkIndex} of this segment. */
    ChunkKey chunk(long chunkIndex) {
        return new ChunkKey(prefixId, segment.seq(), chunkIndex);
    }
}
