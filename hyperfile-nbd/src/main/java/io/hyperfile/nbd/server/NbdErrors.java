package io.hyperfile.nbd.server;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.volume.OutOfRangeException;
import io.hyperfile.core.volume.ReadOnlyVolumeException;
import io.hyperfile.core.volume.VolumeClosedException;
import io.hyperfile.core.volume.VolumeFencedException;
import io.hyperfile.nbd.protocol.NbdError;

/**
 * The one place that turns a failure from the volume into an NBD error code (style guide §4):
 * <ul>
 * <li>{@link ReadOnlyVolumeException} (a read-only volume, or one switched to read-only after corruption) →
 *     EPERM;</li>
 * <li>{@link VolumeClosedException} (closed under us, server draining) → ESHUTDOWN;</li>
 * <li>{@link OutOfRangeException} (the handler checks ranges first, so only a race with a resize) → EINVAL, or
 *     ENOSPC for writes;</li>
 * <li>{@link VolumeFencedException}, {@link CorruptionException}, {@link StorageException} after retries, and any
 *     other throwable → EIO.</li>
 * </ul>
 * Never ENOMEM: memory pressure is handled by backpressure, not errors.
 */
public final class NbdErrors {
    private NbdErrors() {
    }

    /** The error for a failure of a read-type command (READ, CACHE, BLOCK_STATUS, FLUSH). */
    public static NbdError of(Throwable failure) {
        return of(failure, false);
    }

    /** The error for a failure; {@code write} selects ENOSPC over EINVAL for out-of-range writes. */
    public static NbdError of(Throwable failure, boolean write) {
        Throwable t = Exceptions.unwrap(failure);
        if (t instanceof ReadOnlyVolumeException) {
            return NbdError.EPERM;
        }
        if (t instanceof VolumeClosedException) {
            return NbdError.ESHUTDOWN;
        }
        if (t instanceof OutOfRangeException) {
            return write ? NbdError.ENOSPC : NbdError.EINVAL;
        }
        return NbdError.EIO;
    }
}
