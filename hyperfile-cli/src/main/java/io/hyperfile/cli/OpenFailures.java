package io.hyperfile.cli;

import io.hyperfile.core.volume.VolumeUnavailableException;
import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.crypto.KeyException;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import java.util.concurrent.TimeoutException;

/**
 * Why opening a volume (or a snapshot) failed, for {@code serve}: whether it is worth trying again, and one line
 * saying what happened. Transient: a store failure of category TRANSIENT or THROTTLED (after the store's own
 * retries), a timeout, and a claim at open that could not be stored in time ({@link VolumeUnavailableException}). Everything else is permanent: corruption, a missing descriptor or segment, access denied,
 * a format this build does not read. Stateless.
 */
final class OpenFailures {
    private OpenFailures() {
    }

    /** Whether {@code failure} may pass by itself, so that opening again later may succeed. */
    static boolean isTransient(Throwable failure) {
        KeyException key = keyFailure(failure);
        if (key != null) {
            return key.isTransient(); // a missing, wrong or refused key stays so; an unreachable key service may pass
        }
        Throwable t = Exceptions.unwrap(failure);
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) { // the first cause that says decides
            if (t instanceof CorruptionException) {
                return false;
            }
            if (t instanceof StorageException s) {
                return s.isRetryable();
            }
            if (t instanceof TimeoutException || t instanceof VolumeUnavailableException) {
                return true;
            }
        }
        return false;
    }

    /** One line saying why volume {@code name} (null: not a volume) could not be opened, without "hyperfile:". */
    static String describe(String name, Throwable failure) {
        KeyException key = keyFailure(failure);
        if (key != null) {
            return key.getMessage();
        }
        Throwable t = Exceptions.unwrap(failure);
        if (name != null && t instanceof ObjectNotFoundException nf && SegmentKeys.descriptor(name + "/").equals(nf.key())) {
            return "it has no volume descriptor " + nf.key() + " (no such volume, or a half-deleted one)";
        }
        if (t instanceof TimeoutException) {
            return "opening it did not finish in time (" + Hyperfile.describe(t) + ")";
        }
        return Hyperfile.describe(t);
    }

    /** The key failure anywhere in {@code failure}'s causes (an upload of the claim at open wraps it), or null. */
    private static KeyException keyFailure(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof KeyException k) {
                return k;
            }
        }
        return null;
    }
}
