package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.HyperfileException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class DeviceFailureTest {
    @Test
    void classifiesEachFailureTheVolumeReports() {
        assertEquals(DeviceFailure.OUT_OF_RANGE, DeviceFailure.of(new OutOfRangeException("past the end")));
        assertEquals(DeviceFailure.READ_ONLY, DeviceFailure.of(new ReadOnlyVolumeException("ro", new CorruptionException("k", 1, "crc"))));
        assertEquals(DeviceFailure.CLOSED, DeviceFailure.of(new VolumeClosedException("closed")));
        assertEquals(DeviceFailure.NOT_FAST, DeviceFailure.of(new FastZeroUnsupportedException("slow")));
        assertEquals(DeviceFailure.FENCED, DeviceFailure.of(new VolumeFencedException("fenced", null)));
        assertEquals(DeviceFailure.CORRUPT, DeviceFailure.of(new CorruptionException("seg/1", 0, "crc")));
        assertEquals(DeviceFailure.STORAGE, DeviceFailure.of(new StorageException("k", FailureCategory.TRANSIENT, "down")));
        assertEquals(DeviceFailure.STORAGE, DeviceFailure.of(new ObjectNotFoundException("k", "no such key")));
        assertEquals(DeviceFailure.STORAGE, DeviceFailure.of(new VolumeUnavailableException("flush not durable within 30000 ms", null)));
        assertEquals(DeviceFailure.UNEXPECTED, DeviceFailure.of(new IllegalStateException("bug")));
        assertEquals(DeviceFailure.UNEXPECTED, DeviceFailure.of(new HyperfileException("other")));
    }

    @Test
    void looksThroughFutureWrappersButNotAtCauses() {
        VolumeClosedException closed = new VolumeClosedException("closed");
        assertEquals(DeviceFailure.CLOSED, DeviceFailure.of(new CompletionException(new ExecutionException(closed))));
        assertSame(closed, DeviceFailure.unwrap(new CompletionException(closed)));
        assertEquals(DeviceFailure.UNEXPECTED, DeviceFailure.of(new IllegalStateException(closed)));
        assertEquals(DeviceFailure.UNEXPECTED, DeviceFailure.of(new CompletionException(null)));
    }
}
