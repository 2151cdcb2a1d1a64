/**
 * The NBD server: {@code protocol} (codec and option haggling), {@code server} (Netty bootstrap, transmission,
 * backpressure, error mapping) and {@code export} (export name to block device). Sees only the narrow block-device
 * API of core ({@code io.hyperfile.core.volume.BlockDevice} and the values of {@code io.hyperfile.core.block}); a
 * test keeps {@code core.store} and {@code core.segment} out.
 */
package io.hyperfile.nbd;
