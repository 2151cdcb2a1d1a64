package io.hyperfile.core.format.bench;

import io.hyperfile.core.format.VarInts;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The var-longs of one full index leaf, as {@code NodeCodec} writes them when a flush saves the leaves it changed:
 * 163 entries (the most a 4 KiB node holds) of a gap before the extent, its length, its segment number plus one and
 * its block offset in the segment, drawn as a fragmented volume's leaves have them (gaps mostly 0, lengths mostly 1,
 * segment numbers in the thousands, offsets below 2,048). Run with
 * {@code hyperfile-core/src/test/bench/run-jmh.sh VarIntsBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VarIntsBench {
    private static final int ENTRIES = 163;
    private final long[] values = new long[ENTRIES * 4];
    private final byte[] out = new byte[ENTRIES * 4 * VarInts.MAX_VAR_LONG_BYTES];

    @Setup
    public void setUp() {
        Random rnd = new Random(7);
        for (int i = 0; i < ENTRIES; i++) {
            values[4 * i] = rnd.nextInt(4) == 0 ? rnd.nextInt(300) : 0;
            values[4 * i + 1] = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(256) : 1;
            values[4 * i + 2] = 1 + 1_000 + rnd.nextInt(9_000);
            values[4 * i + 3] = rnd.nextInt(2_048);
        }
    }

    @Benchmark
    public int encodeLeafFields() {
        int pos = 0;
        for (long v : values) {
            pos = VarInts.put(out, pos, v);
        }
        return pos;
    }
}
