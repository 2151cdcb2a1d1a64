package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.FormatException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.StorageException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class OpenFailuresTest {
    private static StorageException storage(FailureCategory c) {
        return new StorageException("v/volume", c, c + " on v/volume");
    }

    @Test
    void onlyTransientStoreFailuresAndTimeoutsAreRetried() {
        assertTrue(OpenFailures.isTransient(storage(FailureCategory.TRANSIENT)));
        assertTrue(OpenFailures.isTransient(storage(FailureCategory.THROTTLED)));
        assertTrue(OpenFailures.isTransient(new CompletionException(storage(FailureCategory.TRANSIENT))));
        assertTrue(OpenFailures.isTransient(new io.hyperfile.core.volume.VolumeUnavailableException("claim not durable within 30000 ms", null)));
        assertTrue(OpenFailures.isTransient(new TimeoutException("no answer")));
        assertTrue(OpenFailures.isTransient(new IllegalStateException("wrapped", storage(FailureCategory.THROTTLED))));

        assertFalse(OpenFailures.isTransient(new CorruptionException("v/seg/1", 0, "bad footer")));
        assertFalse(OpenFailures.isTransient(new CorruptionException("v/seg/1", 0, "bad", storage(FailureCategory.TRANSIENT))),
                "corruption decides before the cause it wraps");
        assertFalse(OpenFailures.isTransient(new ObjectNotFoundException("v/volume", "no such object: v/volume")));
        assertFalse(OpenFailures.isTransient(storage(FailureCategory.AUTH)));
        assertFalse(OpenFailures.isTransient(storage(FailureCategory.UNKNOWN)));
        assertFalse(OpenFailures.isTransient(new FormatException("unsupported format version 9")));
        assertFalse(OpenFailures.isTransient(new IllegalStateException("bug")));
    }

    @Test
    void aMissingDescriptorIsDescribedAsAMissingOrHalfDeletedVolume() {
        assertEquals("it has no volume descriptor v/volume (no such volume, or a half-deleted one)",
                OpenFailures.describe("v", new CompletionException(new ObjectNotFoundException("v/volume", "no such object: v/volume"))));
        assertEquals("no such object: w/volume", OpenFailures.describe("v", new ObjectNotFoundException("w/volume", "no such object: w/volume")));
        assertEquals("corrupt data in v/seg/1 at offset 0: bad footer",
                OpenFailures.describe("v", new CorruptionException("v/seg/1", 0, "bad footer")));
        assertEquals("opening it did not finish in time (no answer within 300 s)",
                OpenFailures.describe(null, new TimeoutException("no answer within 300 s")));
    }

    @Test
    void aMissingOrWrongKeyIsNotRetriedButAnUnreachableKeyServiceIs() {
        io.hyperfile.core.crypto.KeyException missing = new io.hyperfile.core.crypto.KeyException(
                "volume e1 is encrypted (aes-256-gcm): give its key with --key-file FILE, --key-env VAR or --kms-key-id ARN");
        // Opening a volume with no segments stores a claim first; its failed upload wraps the key failure.
        Throwable claim = new io.hyperfile.core.volume.VolumeUnavailableException("volume e1: upload of e1/seg/1 failed",
                new IllegalStateException("upload", missing));
        assertFalse(OpenFailures.isTransient(claim));
        assertEquals(missing.getMessage(), OpenFailures.describe("e1", new CompletionException(claim)));
        assertFalse(OpenFailures.isTransient(new io.hyperfile.core.crypto.KeyException("volume e1: wrong key: ...")));
        assertTrue(OpenFailures.isTransient(io.hyperfile.core.crypto.KeyException.unavailable(
                "volume e1: cannot reach KMS to unwrap key version 1: timeout", null)));
    }
}
