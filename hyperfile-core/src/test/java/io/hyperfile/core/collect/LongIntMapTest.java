package io.hyperfile.core.collect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LongIntMapTest {
    @Test
    void behavesLikeATreeMapUnderPutsAndRangeRemovals() {
        Random random = new Random(11);
        LongIntMap map = new LongIntMap(2);
        TreeMap<Long, Integer> expected = new TreeMap<>();
        for (int i = 0; i < 20_000; i++) {
            int op = random.nextInt(10);
            if (op < 8) {
                long key = random.nextBoolean() ? random.nextInt(3000) : random.nextLong() & Long.MAX_VALUE;
                int value = random.nextInt(1 << 20);
                map.put(key, value);
                expected.put(key, value);
            } else {
                // Short ranges are probed key by key, long ones scanned: cover both.
                long start = random.nextInt(3000);
                long end = start + (op == 8 ? random.nextInt(40) : random.nextInt(1 << 20));
                map.removeRange(start, end);
                expected.subMap(start, end).clear();
            }
            if (i % 1000 == 0) {
                check(map, expected, random);
            }
        }
        check(map, expected, random);
    }

    private static void check(LongIntMap map, TreeMap<Long, Integer> expected, Random random) {
        assertEquals(expected.size(), map.size());
        expected.forEach((k, v) -> assertEquals(v, map.get(k, -1)));
        assertArrayEquals(expected.keySet().stream().mapToLong(Long::longValue).toArray(), map.sortedKeys());
        for (int j = 0; j < 20; j++) {
            long a = random.nextInt(3500);
            long b = a + (j % 2 == 0 ? random.nextInt(64) : random.nextInt(1 << 22));
            assertArrayEquals(expected.subMap(a, b).keySet().stream().mapToLong(Long::longValue).toArray(),
                    map.sortedKeys(a, b), "keys in [" + a + ", " + b + ")");
        }
        long absent = random.nextInt(3000);
        while (expected.containsKey(absent)) {
            absent++;
        }
        assertEquals(-7, map.get(absent, -7), "an absent key gives the default");
    }

    @Test
    void refusesNegativeKeys() {
        assertThrows(IllegalArgumentException.class, () -> new LongIntMap().put(-1, 3));
    }
}
