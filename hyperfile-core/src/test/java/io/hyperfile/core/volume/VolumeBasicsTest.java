package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VolumeBasicsTest {
    private final ObjectStore store = new InMemoryObjectStore();

    @Test
    void writesSurviveCloseAndReopen() {
        int size = 1 << 20;
        await(Volume.create(store, "v", new VolumeOptions(size, 512, VolumeModelTest.SEGMENT_TARGET, 4096), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "t", VolumeModelTest.config()));
        byte[] model = new byte[size];
        Random rnd = new Random(5);
        for (int i = 0; i < 40; i++) {
            int len = 1 + rnd.nextInt(20000);
            int off = rnd.nextInt(size - len);
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            await(v.write(off, ByteBuffer.wrap(data)));
            System.arraycopy(data, 0, model, off, len);
            ByteBuffer all = ByteBuffer.allocate(size);
            await(v.read(0, all));
            assertArrayEquals(model, all.array(), "before close, after write " + i + " at " + off + "+" + len);
        }
        await(v.close());
        v = await(Volume.open(store, "v", "t", VolumeModelTest.config()));
        ByteBuffer all = ByteBuffer.allocate(size);
        await(v.read(0, all));
        assertArrayEquals(model, all.array(), "after reopen");
    }
}
