package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The plain model a volume is checked against: a byte array with the accepted mutations applied, plus the
 * mutations accepted since the last completed flush (the uncertain tail). After a crash, the volume must equal
 * the state at the last flush with some prefix of the tail applied.
 */
final class VolumeModel {
    record Op(int kind, long offset, byte[] data, long length) {
        static final int WRITE = 0;
        static final int ZERO = 1;
        static final int TRIM = 2;
    }

    private final int blockSize;
    private byte[] current;
    private byte[] flushed;
    private final List<Op> tail = new ArrayList<>();

    VolumeModel(int sizeBytes, int blockSize) {
        this.blockSize = blockSize;
        this.current = new byte[sizeBytes];
        this.flushed = new byte[sizeBytes];
    }

    byte[] current() {
        return current;
    }

    void accept(Op op) {
        apply(current, op);
        tail.add(op);
    }

    /** A flush (or FUA) completed: everything accepted so far is durable. */
    void flushed() {
        flushed = current.clone();
        tail.clear();
    }

    int tailSize() {
        return tail.size();
    }

    private void apply(byte[] state, Op op) {
        switch (op.kind) {
            case Op.WRITE -> System.arraycopy(op.data, 0, state, (int) op.offset, op.data.length);
            case Op.ZERO -> Arrays.fill(state, (int) op.offset, (int) (op.offset + op.length), (byte) 0);
            case Op.TRIM -> {
                long from = (op.offset + blockSize - 1) / blockSize * blockSize;
                long to = (op.offset + op.length) / blockSize * blockSize;
                if (to > from) {
                    Arrays.fill(state, (int) from, (int) to, (byte) 0);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Checks that {@code actual} (the reopened volume) equals the flushed state plus some prefix of the tail, where
     * the last mutation of the prefix may be torn: a request that spans segments may survive in part, each of its
     * blocks either entirely old or entirely new. Makes that state the model's and returns the number of mutations
     * kept (a torn one counts as kept; the model takes the volume's bytes).
     */
    int reconcileAfterCrash(byte[] actual, String where) {
        byte[] candidate = flushed.clone();
        int best = -1;
        if (Arrays.equals(candidate, actual)) {
            best = 0;
        }
        for (int k = 1; k <= tail.size(); k++) {
            Op op = tail.get(k - 1);
            byte[] before = candidate.clone();
            apply(candidate, op);
            if (Arrays.equals(candidate, actual) || isTorn(before, candidate, actual, op)) {
                best = k;
            }
        }
        if (best < 0) {
            StringBuilder diag = new StringBuilder();
            byte[] c = flushed.clone();
            for (int k = 0; k <= tail.size(); k++) {
                if (k > 0) {
                    apply(c, tail.get(k - 1));
                }
                List<Integer> bad = new ArrayList<>();
                for (int b = 0; b < actual.length / blockSize && bad.size() < 6; b++) {
                    if (!Arrays.equals(c, b * blockSize, (b + 1) * blockSize, actual, b * blockSize, (b + 1) * blockSize)) {
                        bad.add(b);
                    }
                }
                diag.append("\n  after ").append(k).append(" ops, differing blocks start ").append(bad);
            }
            int first = Arrays.mismatch(current, actual);
            int firstVsFlushed = Arrays.mismatch(flushed, actual);
            fail(where + ": reopened volume matches no prefix of the " + tail.size() + " mutations after the last flush"
                    + " (first difference from the current model at byte " + first + ", from the flushed state at byte "
                    + firstVsFlushed + "; tail " + tail.stream().map(o -> o.kind + "@" + o.offset + "+" + o.length).toList() + ")" + diag);
        }
        // What the reopened volume holds is in the store: it is the new durable state.
        current = actual.clone();
        flushed = actual.clone();
        tail.clear();
        return best;
    }

    /** Whether {@code actual} is {@code before} with {@code op} applied to some of its blocks only. */
    private boolean isTorn(byte[] before, byte[] after, byte[] actual, Op op) {
        long lo = op.offset / blockSize * blockSize;
        long hi = Math.min(actual.length, (op.offset + op.length + blockSize - 1) / blockSize * blockSize);
        if (Arrays.mismatch(Arrays.copyOfRange(before, 0, (int) lo), Arrays.copyOfRange(actual, 0, (int) lo)) >= 0
                || !Arrays.equals(before, (int) hi, before.length, actual, (int) hi, actual.length)) {
            return false;
        }
        for (long b = lo; b < hi; b += blockSize) {
            int s = (int) b;
            int e = (int) Math.min(hi, b + blockSize);
            if (!Arrays.equals(before, s, e, actual, s, e) && !Arrays.equals(after, s, e, actual, s, e)) {
                return false;
            }
        }
        return true;
    }
}
