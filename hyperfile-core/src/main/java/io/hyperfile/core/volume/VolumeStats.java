package io.hyperfile.core.volume;

/**
 * Counters of an open volume since it was opened.
 *
 * @param readAheadBytes bytes fetched ahead of sequential reads (see {@code read.ahead-bytes})
 * @param ownSegmentsRecognised uploads that found their segment already stored by an earlier attempt of this
 *     writer (an answer lost on the way) and went on
 * @param failures store failures reported to the volume's health (transient ones included)
 */
public record VolumeStats(long segmentsWritten, long segmentBytesWritten, long indexNodesWritten, long readAheadBytes,
        long ownSegmentsRecognised, long failures) {
}
