package io.hyperfile.nbd.server;

import io.hyperfile.core.volume.DeviceFailure;
import io.hyperfile.nbd.protocol.NbdConstants;
import io.hyperfile.nbd.protocol.NbdError;

/**
 * The one place that turns a failure of the block device into an NBD error code (style guide §4), by the
 * device's own classification ({@link DeviceFailure}):
 * <ul>
 * <li>{@code READ_ONLY} (a read-only device, or one switched to read-only after corruption) → EPERM;</li>
 * <li>{@code CLOSED} (closed under us) → ESHUTDOWN;</li>
 * <li>{@code OUT_OF_RANGE} (the handler checks ranges first, so only a race with a resize) → ENOSPC for WRITE and
 *     WRITE_ZEROES, EINVAL otherwise;</li>
 * <li>{@code NOT_FAST} (a FAST_ZERO the device cannot do fast; nothing changed) → ENOTSUP;</li>
 * <li>{@code FENCED}, {@code CORRUPT}, {@code STORAGE} (after retries) and {@code UNEXPECTED} → EIO.</li>
 * </ul>
 * Never ENOMEM: memory pressure is handled by backpressure, not errors. Stateless.
 */
public final class NbdErrors {
    private NbdErrors() {
    }

    /** The error to answer a failed request of command {@code commandType} with. */
    public static NbdError of(Throwable failure, int commandType) {
        return of(DeviceFailure.of(failure), commandType);
    }

    /** The error for a failure of kind {@code kind} of command {@code commandType}. */
    public static NbdError of(DeviceFailure kind, int commandType) {
        return switch (kind) {
            case READ_ONLY -> NbdError.EPERM;
            case CLOSED -> NbdError.ESHUTDOWN;
            case OUT_OF_RANGE -> commandType == NbdConstants.CMD_WRITE || commandType == NbdConstants.CMD_WRITE_ZEROES
                    ? NbdError.ENOSPC : NbdError.EINVAL;
            case NOT_FAST -> NbdError.ENOTSUP;
            case FENCED, CORRUPT, STORAGE, UNEXPECTED -> NbdError.EIO;
        };
    }
}
