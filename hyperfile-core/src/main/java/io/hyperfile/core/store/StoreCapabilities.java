package io.hyperfile.core.store;

/**
 * Where stores differ.
 *
 * @param conditionalCreate {@link ObjectStore#create} is atomic against other writers (S3 If-None-Match, local
 *     no-clobber link). Hyperfile's fencing needs it.
 * @param nestedKeys the store can hold both {@code a} and {@code a/b}. A local directory cannot (a path is a file
 *     or a directory), and rejects the second such key with {@link FailureCategory#INVALID}.
 * @param maxDeleteBatch the most keys one batch delete request carries; larger batches are split.
 * @param maxKeyBytes the longest key, in UTF-8 bytes.
 */
public record StoreCapabilities(boolean conditionalCreate, boolean nestedKeys, int maxDeleteBatch, int maxKeyBytes) {
}
