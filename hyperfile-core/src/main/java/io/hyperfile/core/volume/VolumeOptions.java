package io.hyperfile.core.volume;

/**
 * What a new volume is created with; fixed for its life (written into its descriptor).
 *
 * @param sizeBytes size of the disk; a positive multiple of the block size
 * @param blockSizeBytes the unit of the index and of checksums: a power of two in 512..65536 (default 4096)
 * @param segmentTargetBytes how large a flush may grow one segment object (default 8 MiB; S3 favours 8–16 MiB)
 * @param maxNodeBytes the largest encoded index node (default 4096)
 */
public record VolumeOptions(long sizeBytes, int blockSizeBytes, int segmentTargetBytes, int maxNodeBytes) {
    public static final int DEFAULT_BLOCK_SIZE_BYTES = 4096;
    public static final int DEFAULT_SEGMENT_TARGET_BYTES = 8 << 20;
    public static final int DEFAULT_MAX_NODE_BYTES = 4096;

    public static VolumeOptions ofSize(long sizeBytes) {
        return new VolumeOptions(sizeBytes, DEFAULT_BLOCK_SIZE_BYTES, DEFAULT_SEGMENT_TARGET_BYTES, DEFAULT_MAX_NODE_BYTES);
    }

    public VolumeOptions withBlockSizeBytes(int v) {
        return new VolumeOptions(sizeBytes, v, segmentTargetBytes, maxNodeBytes);
    }

    public VolumeOptions withSegmentTargetBytes(int v) {
        return new VolumeOptions(sizeBytes, blockSizeBytes, v, maxNodeBytes);
    }

    public VolumeOptions withMaxNodeBytes(int v) {
        return new VolumeOptions(sizeBytes, blockSizeBytes, segmentTargetBytes, v);
    }
}
