package io.hyperfile.nbd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.volume.OutOfRangeException;
import io.hyperfile.core.volume.ReadOnlyVolumeException;
import io.hyperfile.core.volume.VolumeClosedException;
import io.hyperfile.core.volume.VolumeFencedException;
import io.hyperfile.nbd.protocol.NbdError;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class NbdErrorsTest {
    @Test
    void mapsEveryVolumeFailureAsTheStyleGuideSays() {
        assertEquals(NbdError.EPERM, NbdErrors.of(new ReadOnlyVolumeException("ro", null)));
        assertEquals(NbdError.ESHUTDOWN, NbdErrors.of(new VolumeClosedException("closed")));
        assertEquals(NbdError.EIO, NbdErrors.of(new VolumeFencedException("fenced", null)));
        assertEquals(NbdError.EIO, NbdErrors.of(new CorruptionException("seg/1", 0, "crc")));
        assertEquals(NbdError.EIO, NbdErrors.of(new StorageException("k", FailureCategory.values()[0], "down")));
        assertEquals(NbdError.EIO, NbdErrors.of(new IllegalStateException("bug")));
        assertEquals(NbdError.EINVAL, NbdErrors.of(new OutOfRangeException("past end")));
        assertEquals(NbdError.ENOSPC, NbdErrors.of(new OutOfRangeException("past end"), true));
    }

    @Test
    void unwrapsCompletionExceptions() {
        assertEquals(NbdError.EPERM, NbdErrors.of(new CompletionException(new ReadOnlyVolumeException("ro", null))));
        assertEquals(NbdError.ESHUTDOWN, NbdErrors.of(new CompletionException(new CompletionException(new VolumeClosedException("c")))));
    }
}
