/**
 * The NBD wire protocol (fixed newstyle handshake, simple and structured replies): constants, the request decoder,
 * the reply encoder and the option-haggling handler. Knows nothing about block devices beyond {@code nbd.export}.
 * Byte layouts are documented beside their codec; the normative source is {@code doc/proto.md} of the
 * NetworkBlockDevice/nbd project.
 */
package io.hyperfile.nbd.protocol;
