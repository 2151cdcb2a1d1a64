package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.volume.DeviceFailure;
import io.hyperfile.core.volume.FastZeroUnsupportedException;
import io.hyperfile.core.volume.OutOfRangeException;
import io.hyperfile.core.volume.ReadOnlyVolumeException;
import io.hyperfile.core.volume.VolumeClosedException;
import io.hyperfile.core.volume.VolumeFencedException;
import io.hyperfile.nbd.protocol.NbdError;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class NbdErrorsTest {
    @Test
    void mapsEveryDeviceFailureAsTheStyleGuideSays() {
        assertEquals(NbdError.EPERM, NbdErrors.of(new ReadOnlyVolumeException("ro", null), CMD_WRITE));
        assertEquals(NbdError.ESHUTDOWN, NbdErrors.of(new VolumeClosedException("closed"), CMD_READ));
        assertEquals(NbdError.EIO, NbdErrors.of(new VolumeFencedException("fenced", null), CMD_WRITE));
        assertEquals(NbdError.EIO, NbdErrors.of(new CorruptionException("seg/1", 0, "crc"), CMD_READ));
        assertEquals(NbdError.EIO, NbdErrors.of(new StorageException("k", FailureCategory.THROTTLED, "slow down"), CMD_FLUSH));
        assertEquals(NbdError.EIO, NbdErrors.of(new IllegalStateException("bug"), CMD_BLOCK_STATUS));
        assertEquals(NbdError.ENOTSUP, NbdErrors.of(new FastZeroUnsupportedException("slow"), CMD_WRITE_ZEROES));
        assertEquals(NbdError.EINVAL, NbdErrors.of(new OutOfRangeException("past end"), CMD_READ));
        assertEquals(NbdError.EINVAL, NbdErrors.of(new OutOfRangeException("past end"), CMD_TRIM));
        assertEquals(NbdError.ENOSPC, NbdErrors.of(new OutOfRangeException("past end"), CMD_WRITE));
        assertEquals(NbdError.ENOSPC, NbdErrors.of(new OutOfRangeException("past end"), CMD_WRITE_ZEROES));
    }

    @Test
    void everyKindOfDeviceFailureHasAnError() {
        for (DeviceFailure kind : DeviceFailure.values()) {
            assertEquals(kind == DeviceFailure.READ_ONLY ? NbdError.EPERM
                    : kind == DeviceFailure.CLOSED ? NbdError.ESHUTDOWN
                    : kind == DeviceFailure.OUT_OF_RANGE ? NbdError.EINVAL
                    : kind == DeviceFailure.NOT_FAST ? NbdError.ENOTSUP
                    : NbdError.EIO, NbdErrors.of(kind, CMD_READ), kind.name());
        }
    }

    @Test
    void unwrapsCompletionExceptions() {
        assertEquals(NbdError.EPERM, NbdErrors.of(new CompletionException(new ReadOnlyVolumeException("ro", null)), CMD_TRIM));
        assertEquals(NbdError.ESHUTDOWN, NbdErrors.of(new CompletionException(new CompletionException(new VolumeClosedException("c"))), CMD_READ));
    }
}
