/**
 * Assembles the store stack every entry point uses ({@link io.hyperfile.core.stack.StoreStack}): a backend,
 * {@link io.hyperfile.core.store.RetryingObjectStore} over it, and optionally the local read cache outermost.
 *
 * <p>It lives in its own package because it is the one place that sees every layer it composes: the store SPI and
 * its backends ({@code store}, {@code store.s3}, {@code store.local}) and the cache ({@code cache}, which itself
 * sits on {@code store}). Putting it in {@code store} would make that package import its own backends and the
 * cache above it, a cycle. Nothing in core imports this package; the CLI and tests do.
 */
package io.hyperfile.core.stack;
