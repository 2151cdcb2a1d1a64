package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The one decision about failures, and the transitions of the health state. */
class VolumeHealthTest {
    private final List<HealthState> stops = new ArrayList<>();
    private final VolumeHealth health = new VolumeHealth("v", (state, reason) -> stops.add(state));

    @Test
    void transientFailuresDegradeAndRecoverWithoutStopping() {
        for (Throwable t : List.of(new StorageException("k", FailureCategory.TRANSIENT, "reset"),
                new StorageException("k", FailureCategory.THROTTLED, "SlowDown"),
                new StorageException("k", FailureCategory.UNKNOWN, "500"),
                new CompletionException(new TimeoutException("attempt timed out")),
                new ObjectNotFoundException("k", "404"),
                new OutOfMemoryError("Direct buffer memory"))) {
            assertEquals(VolumeHealth.Verdict.RETRY, health.onFailure("upload", t), t.toString());
            assertEquals(HealthState.DEGRADED, health.state());
            assertNull(health.writeRefusal());
            health.onSuccess();
            assertEquals(HealthState.OPEN, health.state());
        }
        assertEquals(List.of(), stops);
    }

    @Test
    void corruptionMakesTheVolumeReadOnlyOnce() {
        assertEquals(VolumeHealth.Verdict.STOP, health.onFailure("indexing", new CorruptionException("k", 10, "bad crc")));
        assertEquals(HealthState.READ_ONLY, health.state());
        ReadOnlyVolumeException refusal = assertThrows(ReadOnlyVolumeException.class, health::checkWritable);
        assertTrue(refusal.getMessage().contains("indexing met corruption"), refusal.getMessage());
        health.checkReadable();
        health.onSuccess();
        assertEquals(HealthState.READ_ONLY, health.state(), "a later success does not undo corruption");
        assertEquals(List.of(HealthState.READ_ONLY), stops);
    }

    @Test
    void aFenceStopsEverythingAndOnlyCloseFollows() {
        VolumeFencedException fenced = new VolumeFencedException("taken over", null);
        assertEquals(VolumeHealth.Verdict.STOP, health.onFailure("upload", new CompletionException(fenced)));
        assertEquals(HealthState.FENCED, health.state());
        assertSame(fenced, assertThrows(VolumeFencedException.class, health::checkReadable));
        assertEquals(VolumeHealth.Verdict.STOP, health.onFailure("upload", new CorruptionException("k", 0, "x")));
        assertEquals(HealthState.FENCED, health.state());
        health.close(new VolumeClosedException("closed"));
        assertEquals(HealthState.CLOSED, health.state());
        assertEquals(List.of(HealthState.FENCED, HealthState.CLOSED), stops);
    }
}
