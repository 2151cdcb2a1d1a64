package io.hyperfile.core.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongSumsTest {
    @Test
    void sumsMatchABoxedMapThroughGrowthAndClear() {
        Random random = new Random(7);
        LongSums sums = new LongSums(2);
        for (int round = 0; round < 3; round++) {
            Map<Long, Long> expected = new HashMap<>();
            for (int i = 0; i < 5000; i++) {
                // Dense, sparse, negative and colliding keys alike.
                long key = switch (i % 4) {
                    case 0 -> i % 97;
                    case 1 -> random.nextLong();
                    case 2 -> -(i % 13) - 1;
                    default -> (long) (i % 7) << 40;
                };
                long amount = random.nextInt(21) - 10;
                sums.add(key, amount);
                expected.merge(key, amount, Long::sum);
            }
            assertEquals(expected.size(), sums.size());
            expected.forEach((k, v) -> assertEquals(v, sums.get(k), "key " + k));
            Map<Long, Long> seen = new HashMap<>();
            sums.forEach((k, v) -> assertEquals(null, seen.put(k, v), "each key once"));
            expected.values().removeIf(v -> v == 0);
            assertEquals(expected, seen, "forEach visits exactly the non-zero sums");
            sums.clear();
            assertTrue(sums.isEmpty());
            assertEquals(0, sums.get(5));
        }
    }
}
