/**
 * The NBD server: bootstrap and configuration ({@link io.hyperfile.nbd.server.NbdServer},
 * {@link io.hyperfile.nbd.server.ServerConfig}), the per-connection pipeline, the transmission handler that calls
 * the export's block device, per-connection backpressure and the one mapping from failures to NBD error codes.
 */
package io.hyperfile.nbd.server;
