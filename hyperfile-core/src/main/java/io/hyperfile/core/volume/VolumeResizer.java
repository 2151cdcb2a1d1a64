package io.hyperfile.core.volume;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import java.util.concurrent.CompletableFuture;

/**
 * Changes the size of an open, writable volume (docs/RESIZE.md). The size lives in every segment footer; a change
 * is one request in the volume's mutation queue, in order with the writes around it, and is durable when the
 * returned future completes: a checkpoint that records the new size is in the store.
 *
 * <p>In that same checkpoint the blocks between the old and the new end become holes (one range record). For a
 * shrink this drops the data beyond the new end, so that a later grow reads zeroes there; for a grow it clears
 * whatever an interrupted or racing shrink may have left beyond the old end. Since the trim and the size change are
 * applied in one step to one window, no checkpoint ever records a size with old data visible inside it that was
 * beyond an earlier end: a crash leaves the old size and content or the new ones, nothing between.
 *
 * <p>From the moment the change is applied (before it is durable) this process checks requests against the new
 * size: reads, writes and block status beyond a shrunk end fail with {@link OutOfRangeException}, and the grown range
 * is usable at once. An NBD client connected before the change keeps the size it was given until it reconnects.
 *
 * <p>Thread-safe (stateless); the volume orders concurrent changes and writes.
 */
public final class VolumeResizer {
    private VolumeResizer() {
    }

    /**
     * Checks that {@code newSizeBytes} is a valid size for a volume described by {@code descriptor}: positive, a
     * multiple of the block size, at most {@link VolumeDescriptor#maxSizeBytes}. Throws {@link IllegalArgumentException}.
     */
    public static void checkSize(VolumeDescriptor descriptor, long newSizeBytes) {
        int blockSize = descriptor.blockSizeBytes();
        if (newSizeBytes <= 0 || newSizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of the block size " + blockSize
                    + ". sizeBytes=" + newSizeBytes);
        }
        long max = VolumeDescriptor.maxSizeBytes(blockSize);
        if (newSizeBytes > max) {
            throw new IllegalArgumentException("size must be at most " + max + " bytes with blocks of " + blockSize
                    + " (the index addresses 2^48 blocks). sizeBytes=" + newSizeBytes);
        }
    }

    /**
     * Grows {@code volume} to {@code newSizeBytes} (equal: a no-op that still completes once durable). Fails at once
     * with {@link IllegalArgumentException} if the size is invalid or smaller than the volume is now.
     */
    public static CompletableFuture<Void> grow(Volume volume, long newSizeBytes) {
        checkSize(volume.descriptor(), newSizeBytes);
        if (newSizeBytes < volume.sizeBytes()) {
            throw new IllegalArgumentException("cannot grow volume " + volume.name() + " of " + volume.sizeBytes()
                    + " bytes to a smaller size. sizeBytes=" + newSizeBytes);
        }
        return volume.submit(Mutation.resize(newSizeBytes));
    }

    /**
     * Shrinks {@code volume} to {@code newSizeBytes}, discarding everything beyond the new end (equal: a no-op that
     * still completes once durable). Fails at once with {@link IllegalArgumentException} if the size is invalid or
     * larger than the volume is now.
     */
    public static CompletableFuture<Void> shrink(Volume volume, long newSizeBytes) {
        checkSize(volume.descriptor(), newSizeBytes);
        if (newSizeBytes > volume.sizeBytes()) {
            throw new IllegalArgumentException("cannot shrink volume " + volume.name() + " of " + volume.sizeBytes()
                    + " bytes to a larger size. sizeBytes=" + newSizeBytes);
        }
        return volume.submit(Mutation.resize(newSizeBytes));
    }
}
