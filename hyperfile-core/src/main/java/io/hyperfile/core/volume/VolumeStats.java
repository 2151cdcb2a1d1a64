package io.hyperfile.core.volume;

/** Counters of an open volume since it was opened. */
public record VolumeStats(long segmentsWritten, long segmentBytesWritten, long indexNodesWritten) {
}
