package io.hyperfile.core.volume;

import io.hyperfile.core.block.Allocation;
import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.block.Durability;
import io.hyperfile.core.block.ZeroOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link BlockDevice} on an open {@link Volume}, using only the volume's public API. It decides what each request
 * means for the volume:
 * <ul>
 * <li>A zeroing that may punch holes trims the whole blocks inside the range (they become HOLE, so a sparse copy
 *     stays sparse) and zeroes only the partial blocks at its ends; with {@link ZeroOption#ALLOCATE} the whole
 *     range becomes a ZERO extent (metadata only for whole blocks). The pieces are issued in order, and the volume
 *     applies mutations in arrival order.</li>
 * <li>{@link ZeroOption#FAST_ONLY} over a range holding no whole block would be a read-modify-write: it fails with
 *     {@link FastZeroUnsupportedException} before anything is issued.</li>
 * <li>{@link Durability#DURABLE}: a durable write or a single zeroing uses the volume's own durable variant; a
 *     trim, or a zeroing split into pieces, is followed by a flush once all pieces completed.</li>
 * <li>{@link #readSparse} reads and asks the volume's block status of the same range side by side; if the status
 *     fails, the read still succeeds with an empty run list. A block that changes between the two is reported in
 *     either its old or its new state, which a read racing a write may see anyway.</li>
 * <li>{@link #cache} looks the range up in the index (loading the index nodes that cover it); the volume has no
 *     data prefetch in its public API.</li>
 * </ul>
 * Every failure, including a range error the volume throws on the calling thread, is returned as a failed future.
 *
 * <p>Thread-safe: stateless apart from the volume, which is thread-safe. The device does not own the volume: whoever
 * opened the volume closes it.
 */
public final class VolumeBlockDevice implements BlockDevice {
    private final Volume volume;

    public VolumeBlockDevice(Volume volume) {
        this.volume = Objects.requireNonNull(volume, "volume");
    }

    @Override
    public long sizeBytes() {
        return volume.sizeBytes();
    }

    @Override
    public int blockSizeBytes() {
        return volume.blockSizeBytes();
    }

    @Override
    public boolean isReadOnly() {
        return volume.isSnapshotView();
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return attempt(() -> volume.read(offset, dst));
    }

    @Override
    public CompletableFuture<List<AllocationRun>> readSparse(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        CompletableFuture<Void> filled = read(offset, dst);
        if (length == 0 || filled.isCompletedExceptionally()) {
            return filled.thenApply(v -> List.of());
        }
        CompletableFuture<List<AllocationRun>> status = blockStatus(offset, length).exceptionally(e -> List.of());
        return filled.thenCombine(status, (v, runs) -> runs);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, Durability durability) {
        Objects.requireNonNull(durability, "durability");
        try { // as attempt(), without a lambda per write
            return durability == Durability.DURABLE ? volume.writeDurable(offset, src) : volume.write(offset, src);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, Set<ZeroOption> options, Durability durability) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(durability, "durability");
        if (offset < 0 || length < 0 || offset + length < 0 || offset + length > volume.sizeBytes()) {
            return CompletableFuture.failedFuture(new OutOfRangeException("write zeroes of " + length + " bytes at offset "
                    + offset + " is outside volume " + volume.name() + " of " + volume.sizeBytes() + " bytes"));
        }
        long bs = volume.blockSizeBytes();
        long end = offset + length;
        long wholeStart = (offset + bs - 1) / bs * bs;
        long wholeEnd = end / bs * bs;
        boolean holdsWholeBlock = wholeEnd > wholeStart;
        if (options.contains(ZeroOption.FAST_ONLY) && length > 0 && !holdsWholeBlock) {
            return CompletableFuture.failedFuture(new FastZeroUnsupportedException("a fast zero of " + length
                    + " bytes at offset " + offset + " holds no whole block of " + bs
                    + " bytes: it would be a read-modify-write"));
        }
        boolean durable = durability == Durability.DURABLE;
        if (options.contains(ZeroOption.ALLOCATE) || !holdsWholeBlock) {
            return attempt(() -> durable ? volume.writeZeroesDurable(offset, length) : volume.writeZeroes(offset, length));
        }
        CompletableFuture<Void> head = wholeStart > offset ? attempt(() -> volume.writeZeroes(offset, wholeStart - offset))
                : CompletableFuture.completedFuture(null);
        CompletableFuture<Void> middle = attempt(() -> volume.trim(wholeStart, wholeEnd - wholeStart));
        CompletableFuture<Void> tail = end > wholeEnd ? attempt(() -> volume.writeZeroes(wholeEnd, end - wholeEnd))
                : CompletableFuture.completedFuture(null);
        CompletableFuture<Void> all = CompletableFuture.allOf(head, middle, tail);
        return durable ? all.thenCompose(v -> flush()) : all;
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, Durability durability) {
        Objects.requireNonNull(durability, "durability");
        CompletableFuture<Void> trimmed = attempt(() -> volume.trim(offset, length));
        return durability == Durability.DURABLE ? trimmed.thenCompose(v -> flush()) : trimmed;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return attempt(volume::flush);
    }

    @Override
    public CompletableFuture<List<AllocationRun>> blockStatus(long offset, long length) {
        return attempt(() -> volume.blockStatus(offset, length)).thenApply(VolumeBlockDevice::toAllocationRuns);
    }

    /**
     * Whether {@code checkpoint} is a well-formed name for {@link #changedSince} ({@code seq:N}, {@code SNAPSHOT},
     * {@code time:ISO}); whether it exists is found out on first use.
     */
    public static boolean isCheckpointName(String checkpoint) {
        return ChangeTracker.isWellFormed(checkpoint);
    }

    @Override
    public CompletableFuture<List<ChangeRun>> changedSince(String checkpoint, long offset, long length) {
        return attempt(() -> volume.changedSince(checkpoint, offset, length));
    }

    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        return attempt(() -> volume.blockStatus(offset, length)).thenApply(runs -> null);
    }

    @Override
    public String toString() {
        return "VolumeBlockDevice[" + volume.name() + "]";
    }

    private static List<AllocationRun> toAllocationRuns(List<BlockStatusRun> runs) {
        List<AllocationRun> out = new ArrayList<>(runs.size());
        for (BlockStatusRun r : runs) {
            Allocation a = switch (r.kind()) {
                case DATA -> Allocation.DATA;
                case ZERO -> Allocation.ZERO;
                case HOLE -> Allocation.HOLE;
            };
            out.add(new AllocationRun(r.offset(), r.length(), a));
        }
        return out;
    }

    /** Runs {@code call}, turning an exception it throws on this thread into a failed future. */
    private static <T> CompletableFuture<T> attempt(Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
