package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.encoding.FrameCodec;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.index.NodeLimits;

/**
 * What a new volume is created with; fixed for its life (written into its descriptor). The record holds any values
 * (so that the {@code with…} steps can pass through intermediate combinations); {@link #validate()} checks them,
 * and {@link VolumeCatalog#create} calls it before writing anything. Immutable.
 *
 * @param sizeBytes size of the disk; a positive multiple of the block size, at most
 *     {@link VolumeDescriptor#MAX_BLOCKS} (2^48) blocks: the index addresses blocks in 48 bits
 * @param blockSizeBytes the unit of the index and of checksums: a power of two in 512..65536 (default 4096)
 * @param segmentTargetBytes how large a flush may grow one segment object (default 8 MiB; S3 favours 8–16 MiB)
 * @param maxNodeBytes the largest encoded index node (default 4096)
 * @param encoding how segments store their data: compressed with LZ4 or Zstandard, or not (the default)
 */
public record VolumeOptions(long sizeBytes, int blockSizeBytes, int segmentTargetBytes, int maxNodeBytes,
        SegmentEncoding encoding) {

    /** Options for an unencoded volume. */
    public VolumeOptions(long sizeBytes, int blockSizeBytes, int segmentTargetBytes, int maxNodeBytes) {
        this(sizeBytes, blockSizeBytes, segmentTargetBytes, maxNodeBytes, SegmentEncoding.NONE);
    }

    public static final int DEFAULT_BLOCK_SIZE_BYTES = 4096;
    public static final int DEFAULT_SEGMENT_TARGET_BYTES = 8 << 20;
    public static final int DEFAULT_MAX_NODE_BYTES = 4096;

    public static VolumeOptions ofSize(long sizeBytes) {
        return new VolumeOptions(sizeBytes, DEFAULT_BLOCK_SIZE_BYTES, DEFAULT_SEGMENT_TARGET_BYTES, DEFAULT_MAX_NODE_BYTES);
    }

    public VolumeOptions withBlockSizeBytes(int v) {
        return new VolumeOptions(sizeBytes, v, segmentTargetBytes, maxNodeBytes, encoding);
    }

    public VolumeOptions withSegmentTargetBytes(int v) {
        return new VolumeOptions(sizeBytes, blockSizeBytes, v, maxNodeBytes, encoding);
    }

    public VolumeOptions withMaxNodeBytes(int v) {
        return new VolumeOptions(sizeBytes, blockSizeBytes, segmentTargetBytes, v, encoding);
    }

    public VolumeOptions withEncoding(SegmentEncoding v) {
        return new VolumeOptions(sizeBytes, blockSizeBytes, segmentTargetBytes, maxNodeBytes, v);
    }

    /** The largest volume with blocks of {@code blockSizeBytes}: 2^48 blocks (1 EiB at 4096-byte blocks). */
    public static long maxSizeBytes(int blockSizeBytes) {
        return VolumeDescriptor.maxSizeBytes(blockSizeBytes);
    }

    /**
     * Checks that a volume can be created with these options; returns them. {@link IllegalArgumentException} with a
     * one-line message naming the value otherwise.
     */
    public VolumeOptions validate() {
        if (Integer.bitCount(blockSizeBytes) != 1 || blockSizeBytes < 512 || blockSizeBytes > 65536) {
            throw new IllegalArgumentException("block size must be a power of two in 512..65536. blockSizeBytes=" + blockSizeBytes);
        }
        if (sizeBytes <= 0 || sizeBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of the block size " + blockSizeBytes
                    + ". sizeBytes=" + sizeBytes);
        }
        if (sizeBytes / blockSizeBytes > VolumeDescriptor.MAX_BLOCKS) {
            throw new IllegalArgumentException(("size %d is too large: the index addresses at most 2^48 blocks, %d bytes"
                    + " with blocks of %d bytes (use larger blocks for a larger volume)")
                    .formatted(sizeBytes, maxSizeBytes(blockSizeBytes), blockSizeBytes));
        }
        if (segmentTargetBytes < 2 * blockSizeBytes) {
            throw new IllegalArgumentException("segment target must hold at least 2 blocks. segmentTargetBytes=" + segmentTargetBytes);
        }
        NodeLimits.ofNodeBytes(maxNodeBytes);
        String unavailable = FrameCodec.unavailableReason(encoding.compression());
        if (unavailable != null) {
            throw new IllegalArgumentException(unavailable);
        }
        return this;
    }
}
