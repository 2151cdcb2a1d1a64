package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.StorageException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What kind of failure a {@link BlockDevice} future completed with, so that a front end maps failures to its own
 * error codes without knowing the exception types of the layers below the volume. Classification looks at the
 * failure itself after stripping {@link CompletionException} and {@link ExecutionException} wrappers, not at its
 * causes. Stateless.
 */
public enum DeviceFailure {
    /** {@link OutOfRangeException}: the request reaches outside the device; nothing was done. */
    OUT_OF_RANGE,
    /** {@link ReadOnlyVolumeException}: a mutation of a read-only device (a snapshot, or after corruption). */
    READ_ONLY,
    /** {@link VolumeClosedException}: the device was closed before or while the request ran. */
    CLOSED,
    /** {@link FastZeroUnsupportedException}: a fast zeroing could not be fast; nothing was changed. */
    NOT_FAST,
    /** {@link VolumeFencedException}: another writer took the volume over; this instance stopped for good. */
    FENCED,
    /** {@link CorruptionException}: stored bytes are not what was written. */
    CORRUPT,
    /**
     * The object store failed after the retries the store layer makes, or a flush could not be made durable by its
     * deadline ({@link VolumeUnavailableException}); the volume keeps its data and goes on retrying.
     */
    STORAGE,
    /** Anything else: a bug, or a failure nobody anticipated. */
    UNEXPECTED;

    /** The kind of {@code failure} (wrappers stripped first). */
    public static DeviceFailure of(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof OutOfRangeException) {
            return OUT_OF_RANGE;
        }
        if (t instanceof ReadOnlyVolumeException) {
            return READ_ONLY;
        }
        if (t instanceof VolumeClosedException) {
            return CLOSED;
        }
        if (t instanceof FastZeroUnsupportedException) {
            return NOT_FAST;
        }
        if (t instanceof VolumeFencedException) {
            return FENCED;
        }
        if (t instanceof CorruptionException) {
            return CORRUPT;
        }
        if (t instanceof StorageException || t instanceof VolumeUnavailableException) {
            return STORAGE;
        }
        return UNEXPECTED;
    }

    /** {@code failure} without its {@link CompletionException} and {@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
