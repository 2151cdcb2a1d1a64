package io.hyperfile.nbd.testing;

import io.hyperfile.core.block.Allocation;
import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.block.Durability;
import io.hyperfile.core.block.ZeroOption;
import io.hyperfile.core.volume.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link BlockDevice} in a {@code byte[]}, for handler tests: a per-block allocation map, a log of every call, and
 * futures the test controls. While {@link #hold() holding}, each call waits in {@link #held()} until the test
 * completes or fails it; its effect (copying bytes in or out, changing the map) happens when it completes, as a real
 * device's would. {@link #failNext} and {@link #throwNext} script failures. No block semantics beyond the obvious:
 * writes make blocks DATA, trims and hole-punching zeroes make whole blocks HOLE, zeroing with ALLOCATE makes them
 * ZERO. Not thread-safe: for EmbeddedChannel tests, where everything runs on the test thread.
 */
public final class FakeBlockDevice implements BlockDevice {
    /** One call waiting for the test. */
    public static final class Call {
        private final String description;
        private final Runnable apply;
        private final CompletableFuture<?> future;

        private Call(String description, Runnable apply, CompletableFuture<?> future) {
            this.description = description;
            this.apply = apply;
            this.future = future;
        }

        /** Applies the call's effect and completes its future (on the calling thread). */
        public void complete() {
            apply.run();
        }

        /** Fails the call's future without any effect. */
        public void fail(Throwable failure) {
            future.completeExceptionally(failure);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    private final byte[] data;
    private final Allocation[] blocks;
    private final int blockSize;
    private final boolean readOnly;
    private final List<String> log = new ArrayList<>();
    private final List<Call> held = new ArrayList<>();
    private boolean holding;
    private Throwable failNext;
    private RuntimeException throwNext;

    public FakeBlockDevice(int sizeBytes, int blockSizeBytes) {
        this(sizeBytes, blockSizeBytes, false);
    }

    private FakeBlockDevice(int sizeBytes, int blockSizeBytes, boolean readOnly) {
        this.data = new byte[sizeBytes];
        this.blockSize = blockSizeBytes;
        this.blocks = new Allocation[(sizeBytes + blockSizeBytes - 1) / blockSizeBytes];
        Arrays.fill(blocks, Allocation.HOLE);
        this.readOnly = readOnly;
    }

    /** A read-only device of the given size (every mutation would be refused by a real one). */
    public static FakeBlockDevice readOnly(int sizeBytes, int blockSizeBytes) {
        return new FakeBlockDevice(sizeBytes, blockSizeBytes, true);
    }

    /** From now on, calls wait in {@link #held()} until the test completes them. */
    public FakeBlockDevice hold() {
        holding = true;
        return this;
    }

    /** The calls waiting, oldest first. */
    public List<Call> held() {
        return List.copyOf(held);
    }

    /** Removes and returns the {@code index}-th waiting call. */
    public Call take(int index) {
        return held.remove(index);
    }

    /** The next call's future fails with {@code failure} (no effect). */
    public void failNext(Throwable failure) {
        failNext = failure;
    }

    /** The next call throws {@code failure} on the calling thread instead of returning a future. */
    public void throwNext(RuntimeException failure) {
        throwNext = failure;
    }

    /** Every call so far, e.g. {@code "write 0+4096 DURABLE"}, in call order. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** Puts {@code bytes} at {@code offset} at once (test setup; not logged). */
    public void put(int offset, byte[] bytes) {
        System.arraycopy(bytes, 0, data, offset, bytes.length);
        mark(offset, bytes.length, Allocation.DATA, false);
    }

    /** The device's bytes {@code [offset, offset + length)}. */
    public byte[] bytes(int offset, int length) {
        return Arrays.copyOfRange(data, offset, offset + length);
    }

    @Override
    public long sizeBytes() {
        return data.length;
    }

    @Override
    public int blockSizeBytes() {
        return blockSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return call("read " + offset + "+" + dst.remaining(), () -> {
            dst.duplicate().put(data, (int) offset, dst.remaining());
            return null;
        });
    }

    @Override
    public CompletableFuture<List<AllocationRun>> readSparse(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        return call("readSparse " + offset + "+" + length, () -> {
            dst.duplicate().put(data, (int) offset, length);
            return runs(offset, length);
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, Durability durability) {
        int length = src.remaining();
        return call("write " + offset + "+" + length + " " + durability, () -> {
            src.duplicate().get(data, (int) offset, length);
            mark(offset, length, Allocation.DATA, false);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, Set<ZeroOption> options, Durability durability) {
        Set<ZeroOption> sorted = options.isEmpty() ? Set.of() : EnumSet.copyOf(options);
        return call("writeZeroes " + offset + "+" + length + " " + sorted + " " + durability, () -> {
            Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            mark(offset, length, options.contains(ZeroOption.ALLOCATE) ? Allocation.ZERO : Allocation.HOLE, true);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length, Durability durability) {
        return call("trim " + offset + "+" + length + " " + durability, () -> {
            mark(offset, length, Allocation.HOLE, true);
            for (long b = (offset + blockSize - 1) / blockSize; (b + 1) * blockSize <= offset + length; b++) {
                Arrays.fill(data, (int) (b * blockSize), (int) ((b + 1) * blockSize), (byte) 0);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> flush() {
        return call("flush", () -> null);
    }

    @Override
    public CompletableFuture<List<AllocationRun>> blockStatus(long offset, long length) {
        return call("blockStatus " + offset + "+" + length, () -> runs(offset, length));
    }

    /** Changed since any checkpoint means DATA here (a stand-in); the checkpoint "missing" fails as an unknown one does. */
    @Override
    public CompletableFuture<List<ChangeRun>> changedSince(String checkpoint, long offset, long length) {
        return call("changedSince " + checkpoint + " " + offset + "+" + length, () -> {
            if (checkpoint.equals("missing")) {
                throw new IllegalArgumentException("no checkpoint " + checkpoint);
            }
            List<ChangeRun> out = new ArrayList<>();
            for (AllocationRun r : runs(offset, length)) {
                out.add(new ChangeRun(r.offset(), r.lengthBytes(), r.allocation() == Allocation.DATA));
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        return call("cache " + offset + "+" + length, () -> null);
    }

    private <T> CompletableFuture<T> call(String description, Supplier<T> effect) {
        log.add(description);
        if (throwNext != null) {
            RuntimeException e = throwNext;
            throwNext = null;
            throw e;
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        if (failNext != null) {
            f.completeExceptionally(failNext);
            failNext = null;
        } else if (holding) {
            held.add(new Call(description, () -> f.complete(effect.get()), f));
        } else {
            f.complete(effect.get());
        }
        return f;
    }

    /** Sets the state of the blocks the range touches ({@code wholeOnly}: only the blocks it covers entirely). */
    private void mark(long offset, long length, Allocation state, boolean wholeOnly) {
        long first = wholeOnly ? (offset + blockSize - 1) / blockSize : offset / blockSize;
        long end = wholeOnly ? (offset + length) / blockSize : (offset + length + blockSize - 1) / blockSize;
        for (long b = first; b < end; b++) {
            blocks[(int) b] = state;
        }
    }

    /** The allocation runs covering {@code [offset, offset + length)}, equal neighbours merged. */
    private List<AllocationRun> runs(long offset, long length) {
        List<AllocationRun> out = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            Allocation state = blocks[(int) (pos / blockSize)];
            long next = Math.min(end, (pos / blockSize + 1) * blockSize);
            if (!out.isEmpty() && out.get(out.size() - 1).allocation() == state) {
                AllocationRun last = out.remove(out.size() - 1);
                out.add(new AllocationRun(last.offset(), next - last.offset(), state));
            } else {
                out.add(new AllocationRun(pos, next - pos, state));
            }
            pos = next;
        }
        return out;
    }
}
