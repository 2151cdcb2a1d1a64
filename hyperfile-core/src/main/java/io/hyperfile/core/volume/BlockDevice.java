package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.block.Durability;
import io.hyperfile.core.block.ZeroOption;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A block device as a front end (the NBD server) sees it: byte-addressed reads and writes, zeroing, trimming,
 * flushing and allocation status. What each request means for the disk (which blocks become holes, what durable
 * means, how a zeroing is split) is decided behind this interface, so a front end only translates its protocol.
 *
 * <p>Guarantees:
 * <ul>
 * <li>Any byte offset and length inside the device is served; block alignment is only the fast path.</li>
 * <li>A mutation's future completes once readers see it ({@link Durability#BUFFERED}), or once it is durable
 *     itself ({@link Durability#DURABLE}). {@link #flush()} completes once every mutation whose future completed
 *     before the call is durable.</li>
 * <li>Mutations issued one after another by one caller take effect in that order.</li>
 * <li>Methods never block and may be called from any thread; futures complete on any thread (a caller that does
 *     real work in a callback hops to its own executor).</li>
 * <li>Failures, including requests outside the device, complete the future exceptionally; only caller mistakes
 *     (a null buffer or option set) may throw. {@link DeviceFailure#of} classifies them: {@link
 *     OutOfRangeException}, {@link ReadOnlyVolumeException} (on every mutation of a read-only device, or of one
 *     switched to read-only after corruption), {@link VolumeClosedException}, {@link FastZeroUnsupportedException},
 *     {@link VolumeFencedException}, {@link CorruptionException}, or a store failure after retries.</li>
 * </ul>
 *
 * <p>Buffers: {@code read} fills {@code dst} from its position to its limit and {@code write} reads {@code src}
 * likewise, neither moving the position; the caller must not touch the buffer until the future completes.
 */
public interface BlockDevice {
    /** Size in bytes; fixed for the device's life. */
    long sizeBytes();

    /** The block size in bytes: requests aligned to it are the fast path. */
    int blockSizeBytes();

    /** Whether every mutation is refused (a snapshot view); a device may also turn read-only later, after corruption. */
    boolean isReadOnly();

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    CompletableFuture<Void> read(long offset, ByteBuffer dst);

    /**
     * Reads like {@link #read} and also says which parts read as zeros: runs covering the read exactly, in order,
     * or an empty list when that is not known (the data is then correct all the same). Meant for replies that
     * can send zero runs as holes rather than as bytes.
     */
    CompletableFuture<List<AllocationRun>> readSparse(long offset, ByteBuffer dst);

    /** Writes {@code src.remaining()} bytes at {@code offset}. */
    CompletableFuture<Void> write(long offset, ByteBuffer src, Durability durability);

    /**
     * Makes {@code [offset, offset + length)} read as zeros. Without {@link ZeroOption#ALLOCATE} the device may
     * punch holes (whole blocks become {@link io.hyperfile.core.block.Allocation#HOLE}); with
     * {@link ZeroOption#FAST_ONLY} it fails with {@link FastZeroUnsupportedException}, changing nothing, when
     * zeroing the range would be no faster than writing zeros.
     */
    CompletableFuture<Void> writeZeroes(long offset, long length, Set<ZeroOption> options, Durability durability);

    /**
     * Discards the range: the whole blocks inside it become holes and read as zeros; partial blocks at its ends may
     * keep their content (a trim is advice).
     */
    CompletableFuture<Void> trim(long offset, long length, Durability durability);

    /** Completes once every mutation completed before this call is durable (a no-op on a read-only device). */
    CompletableFuture<Void> flush();

    /** Allocation status of the range: runs covering it exactly, in order; empty for a zero length. */
    CompletableFuture<List<AllocationRun>> blockStatus(long offset, long length);

    /**
     * Which bytes of the range changed since {@code checkpoint} (the part of a checkpoint reference after
     * {@code VOLUME@}: {@code seq:N}, {@code SNAPSHOT}, {@code time:ISO}): runs covering it exactly, in order; empty
     * for a zero length. Fails with {@link IllegalArgumentException} for a name that does not parse, and with the
     * store's not-found error for a checkpoint that does not exist.
     */
    CompletableFuture<List<ChangeRun>> changedSince(String checkpoint, long offset, long length);

    /** Advice that the range will be read soon: loads what the device can ahead of time. Changes nothing. */
    CompletableFuture<Void> cache(long offset, long length);
}
