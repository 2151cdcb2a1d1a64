/**
 * The object-store SPI ({@link io.hyperfile.core.store.ObjectStore}), its failure model
 * ({@link io.hyperfile.core.store.StorageException}, {@link io.hyperfile.core.store.FailureCategory}) and the one
 * retry and timeout layer ({@link io.hyperfile.core.store.RetryingObjectStore}, {@link io.hyperfile.core.store.RetryPolicy}).
 * Depends on nothing else in core.
 */
package io.hyperfile.core.store;
