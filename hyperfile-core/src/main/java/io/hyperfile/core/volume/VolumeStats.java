package io.hyperfile.core.volume;

/**
 * Counters of an open volume since it was opened.
 *
 * @param readAheadBytes bytes fetched ahead of sequential reads (see {@code read.ahead-bytes})
 */
public record VolumeStats(long segmentsWritten, long segmentBytesWritten, long indexNodesWritten, long readAheadBytes) {
}
