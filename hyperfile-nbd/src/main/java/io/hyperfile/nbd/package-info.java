/**
 * The NBD server: {@code protocol} (codec and option haggling), {@code server} (Netty bootstrap, transmission,
 * backpressure, error mapping) and {@code export} (export name to volume). Depends only on the core volume API.
 */
package io.hyperfile.nbd;
