package io.hyperfile.core.collect;

import java.util.Arrays;

/**
 * A map from non-negative {@code long} keys to {@code int} values (other than {@link Integer#MIN_VALUE}), without
 * boxing: an open-addressing table with linear probing that grows at half full. A removed key keeps its place in the
 * table, marked absent, until it is put again. Not thread-safe.
 */
public final class LongIntMap {
    private static final long FREE = -1;
    private static final int ABSENT = Integer.MIN_VALUE;
    private long[] keys;
    private int[] values;
    /** Places taken in the table, removed keys included. */
    private int taken;
    /** Keys present. */
    private int size;

    public LongIntMap() {
        this(8);
    }

    /** Room for {@code expected} keys before the table grows. */
    public LongIntMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, FREE);
        values = new int[capacity];
    }

    /** {@code key}'s value, or {@code missing} if it has none. */
    public int get(long key, int missing) {
        int mask = keys.length - 1;
        for (int i = LongSums.slot(key, mask); keys[i] != FREE; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return values[i] == ABSENT ? missing : values[i];
            }
        }
        return missing;
    }

    public boolean containsKey(long key) {
        return get(key, ABSENT) != ABSENT;
    }

    /** Maps {@code key} (at least 0) to {@code value}, replacing what it mapped to. */
    public void put(long key, int value) {
        if (key < 0 || value == ABSENT) {
            throw new IllegalArgumentException("keys must not be negative, nor values Integer.MIN_VALUE. key=" + key);
        }
        int mask = keys.length - 1;
        int i = LongSums.slot(key, mask);
        while (keys[i] != FREE) {
            if (keys[i] == key) {
                if (values[i] == ABSENT) {
                    size++;
                }
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        if (++taken * 2 > keys.length) {
            grow();
        }
    }

    /** Removes every key in {@code [start, end)}. */
    public void removeRange(long start, long end) {
        if (end - start <= keys.length) {
            for (long k = Math.max(0, start); k < end; k++) {
                remove(k);
            }
            return;
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != FREE && keys[i] >= start && keys[i] < end && values[i] != ABSENT) {
                values[i] = ABSENT;
                size--;
            }
        }
    }

    private void remove(long key) {
        int mask = keys.length - 1;
        for (int i = LongSums.slot(key, mask); keys[i] != FREE; i = (i + 1) & mask) {
            if (keys[i] == key) {
                if (values[i] != ABSENT) {
                    values[i] = ABSENT;
                    size--;
                }
                return;
            }
        }
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The keys, sorted. */
    public long[] sortedKeys() {
        return sortedKeys(0, Long.MAX_VALUE);
    }

    /** The keys in {@code [start, end)}, sorted. */
    public long[] sortedKeys(long start, long end) {
        if (end - start <= keys.length) {
            long[] out = new long[(int) Math.min(size, end - start)];
            int n = 0;
            for (long k = Math.max(0, start); k < end && n < out.length; k++) {
                if (containsKey(k)) {
                    out[n++] = k;
                }
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        }
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != FREE && values[i] != ABSENT && keys[i] >= start && keys[i] < end) {
                out[n++] = keys[i];
            }
        }
        out = n == out.length ? out : Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, FREE);
        values = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        taken = 0;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != FREE && oldValues[j] != ABSENT) {
                taken++;
                int i = LongSums.slot(oldKeys[j], mask);
                while (keys[i] != FREE) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
