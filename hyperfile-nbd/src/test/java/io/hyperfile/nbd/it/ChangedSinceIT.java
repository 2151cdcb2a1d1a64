package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.volume.Volume;
import io.hyperfile.nbd.testing.ServerFixture;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nbdinfo (libnbd) reads the {@code hyperfile:changed-since:} context: {@code --map} over a served volume shows the
 * blocks written after a checkpoint as changed (flag 1), both those flushed since and those still buffered, and
 * everything else as unchanged (flag 0).
 */
class ChangedSinceIT {
    private static final int BLOCK = 4096;
    private static ServerFixture fixture;
    private static long checkpoint;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("nbdinfo");
        fixture = new ServerFixture();
        Volume v = fixture.addVolume("disk", 64L << 20);
        v.write(0, data(16)).join();
        v.flush().join();
        checkpoint = v.durableSeq().join();
        v.write(4 * BLOCK, data(2)).join();
        v.flush().join();
        v.write(1 << 20, data(1)).join(); // still buffered when nbdinfo asks
        fixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static ByteBuffer data(int blocks) {
        byte[] b = new byte[blocks * BLOCK];
        Arrays.fill(b, (byte) 0x33);
        return ByteBuffer.wrap(b);
    }

    @Test
    void mapShowsTheBlocksWrittenSinceTheCheckpoint() throws Exception {
        String out = Tools.ok(60, "nbdinfo", "--map=hyperfile:changed-since:seq:" + checkpoint, fixture.uri("disk"));
        List<long[]> rows = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            String[] f = line.trim().split("\\s+");
            rows.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
        List<String> got = rows.stream().map(r -> r[0] + "+" + r[1] + ":" + r[2]).toList();
        assertEquals(List.of("0+" + 4 * BLOCK + ":0", 4 * BLOCK + "+" + 2 * BLOCK + ":1",
                6 * BLOCK + "+" + ((1 << 20) - 6 * BLOCK) + ":0", (1 << 20) + "+" + BLOCK + ":1",
                ((1 << 20) + BLOCK) + "+" + ((64L << 20) - (1 << 20) - BLOCK) + ":0"), got, out);
    }

    @Test
    void anIllFormedCheckpointIsNotOffered() throws Exception {
        Tools.Result r = Tools.run(60, List.of("nbdinfo", "--map=hyperfile:changed-since:seq:x", fixture.uri("disk")));
        assertTrue(r.exitCode() != 0, r.toString());
    }
}
