package io.hyperfile.core.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Accumulates the entries of a leaf that {@link TreeUpdate} copies, then cuts them into as few even leaves as fit. */
final class LeafBuilder {
    private long[] starts;
    private long[] counts;
    private long[] seqs;
    private long[] offsets;
    private int size;

    LeafBuilder(int capacity) {
        starts = new long[capacity];
        counts = new long[capacity];
        seqs = new long[capacity];
        offsets = new long[capacity];
    }

    void add(long start, long count, long seq, long offset) {
        if (size == starts.length) {
            int cap = Math.max(4, size * 2);
            starts = Arrays.copyOf(starts, cap);
            counts = Arrays.copyOf(counts, cap);
            seqs = Arrays.copyOf(seqs, cap);
            offsets = Arrays.copyOf(offsets, cap);
        }
        starts[size] = start;
        counts[size] = count;
        seqs[size] = seq;
        offsets[size] = offset;
        size++;
    }

    void addRange(LeafNode leaf, int from, int to) {
        if (to <= from) {
            return;
        }
        if (size + (to - from) > starts.length) {
            for (int k = from; k < to; k++) {
                add(leaf.startBlock(k), leaf.blockCount(k), leaf.seq(k), leaf.offset(k));
            }
            return;
        }
        leaf.copyEntries(from, to, starts, counts, seqs, offsets, size);
        size += to - from;
    }

    List<IndexNode> split(int maxEntries) {
        if (size == 0) {
            return List.of();
        }
        int pieces = (size + maxEntries - 1) / maxEntries;
        if (pieces == 1 && size == starts.length) {
            return List.of(new LeafNode(starts, counts, seqs, offsets));
        }
        List<IndexNode> out = new ArrayList<>(pieces);
        for (int p = 0; p < pieces; p++) {
            int from = (int) ((long) size * p / pieces);
            int to = (int) ((long) size * (p + 1) / pieces);
            out.add(new LeafNode(Arrays.copyOfRange(starts, from, to),
                    Arrays.copyOfRange(counts, from, to), Arrays.copyOfRange(seqs, from, to),
                    Arrays.copyOfRange(offsets, from, to)));
        }
        return out;
    }
}
