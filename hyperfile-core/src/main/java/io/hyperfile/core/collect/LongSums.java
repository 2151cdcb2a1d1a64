package io.hyperfile.core.collect;

/**
 * Sums of {@code long} amounts per {@code long} key, without boxing: an open-addressing table with linear probing
 * that grows at half full. Keys are added to in any order; {@link #forEach} visits each key with a non-zero sum
 * once, in the order the keys were first added. Not thread-safe.
 */
public final class LongSums {
    private long[] keys;
    private long[] sums;
    private boolean[] used;
    /** Table positions in use, in the order their keys came: forEach and clear touch only these. */
    private int[] taken;
    private int size;

    public LongSums() {
        this(8);
    }

    /** Room for {@code expected} keys before the table grows. */
    public LongSums(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        sums = new long[capacity];
        used = new boolean[capacity];
        taken = new int[capacity / 2 + 1];
    }

    /** Adds {@code amount} to {@code key}'s sum (a key starts at 0). */
    public void add(long key, long amount) {
        int mask = keys.length - 1;
        int i = slot(key, mask);
        while (used[i]) {
            if (keys[i] == key) {
                sums[i] += amount;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = key;
        sums[i] = amount;
        taken[size] = i;
        if (++size * 2 > keys.length) {
            grow();
        }
    }

    /** {@code key}'s sum, 0 if nothing was added to it. */
    public long get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); used[i]; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return sums[i];
            }
        }
        return 0;
    }

    /** Keys added to so far (including those whose sum came back to 0). */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Forgets every key, keeping the table's capacity. */
    public void clear() {
        for (int j = 0; j < size; j++) {
            used[taken[j]] = false;
        }
        size = 0;
    }

    /** Calls {@code action} with each key whose sum is not 0, in the order the keys were first added. */
    public void forEach(Visitor action) {
        for (int j = 0; j < size; j++) {
            int i = taken[j];
            if (sums[i] != 0) {
                action.visit(keys[i], sums[i]);
            }
        }
    }

    /** Receives a key and its sum. */
    @FunctionalInterface
    public interface Visitor {
        void visit(long key, long sum);
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldSums = sums;
        int[] oldTaken = taken;
        keys = new long[oldKeys.length * 2];
        sums = new long[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        taken = new int[oldKeys.length + 1];
        int mask = keys.length - 1;
        for (int j = 0; j < size; j++) {
            int old = oldTaken[j];
            int i = slot(oldKeys[old], mask);
            while (used[i]) {
                i = (i + 1) & mask;
            }
            used[i] = true;
            keys[i] = oldKeys[old];
            sums[i] = oldSums[old];
            taken[j] = i;
        }
    }

    /** Fibonacci hashing: spreads consecutive keys (segment numbers, block numbers) over the table. */
    static int slot(long key, int mask) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }
}
