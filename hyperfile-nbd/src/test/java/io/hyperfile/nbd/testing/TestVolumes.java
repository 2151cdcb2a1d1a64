package io.hyperfile.nbd.testing;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Creates and opens real volumes for tests (never a fake: the server must be tested on the real engine). */
public final class TestVolumes {
    private TestVolumes() {
    }

    /** A fresh volume of {@code sizeBytes} on {@code store} under {@code prefix}, opened with test-friendly settings. */
    public static Volume create(ObjectStore store, String prefix, String name, long sizeBytes) {
        return create(store, prefix, name, VolumeOptions.ofSize(sizeBytes));
    }

    public static Volume create(ObjectStore store, String prefix, String name, VolumeOptions options) {
        try {
            Volume.create(store, prefix, options, Clock.systemUTC()).get(30, TimeUnit.SECONDS);
            return open(store, prefix, name);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create volume " + name, e);
        }
    }

    public static Volume open(ObjectStore store, String prefix, String name) {
        try {
            return Volume.open(store, prefix, name, config()).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open volume " + name, e);
        }
    }

    /** A volume on a new in-memory store. */
    public static Volume inMemory(String name, long sizeBytes) {
        return create(new InMemoryObjectStore(), name, name, sizeBytes);
    }

    public static VolumeConfig config() {
        return VolumeConfig.builder().dirtyLimitBytes(64L << 20).flushAge(Duration.ofSeconds(1)).build();
    }

    /** Closes (flushes) a volume, waiting at most 60 s. */
    public static void close(Volume v) {
        try {
            v.close().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot close volume " + v.name(), e);
        }
    }
}
