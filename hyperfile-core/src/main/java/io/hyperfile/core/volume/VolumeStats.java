package io.hyperfile.core.volume;

/**
 * Counters of an open volume since it was opened.
 *
 * @param readAheadBytes bytes fetched ahead of sequential reads (see {@code read.ahead-bytes})
 * @param ownSegmentsRecognised uploads that found their segment already stored by an earlier attempt of this
 *     writer (an answer lost on the way) and went on
 * @param failures store failures reported to the volume's health (transient ones included)
 * @param dirtyBytes block data in the write buffer that is not durable yet (the open window and the windows on their
 *     way to the store), in bytes; a gauge, not a counter
 * @param readDefragBytes bytes of fragmented reads handed to relocation windows to be written again contiguously
 *     (read defragmentation), including blocks whose move then lost to a newer write
 * @param index the index as published now, and its node cache
 */
public record VolumeStats(long segmentsWritten, long segmentBytesWritten, long indexNodesWritten, long readAheadBytes,
        long ownSegmentsRecognised, long failures, long dirtyBytes, long readDefragBytes, IndexFigures index) {

    /**
     * The published index and the volume's cache of decoded index nodes.
     *
     * @param nodes nodes in the published index
     * @param cachedNodes nodes in the cache (the published index's, and those of older indexes that reads still
     *     loaded or that a dropped subtree left behind, until they are evicted)
     * @param cachedBytes estimated heap bytes of the cached nodes (bounded by {@code volume.node-cache-size})
     * @param hits lookups the cache answered, since open
     * @param misses lookups that had to fetch the node from the store, since open
     */
    public record IndexFigures(long nodes, long cachedNodes, long cachedBytes, long hits, long misses) {
    }
}
