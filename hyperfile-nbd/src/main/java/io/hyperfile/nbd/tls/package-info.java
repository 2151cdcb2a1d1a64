/**
 * TLS for the NBD server ({@code NBD_OPT_STARTTLS}): the modes ({@link io.hyperfile.nbd.tls.TlsMode}), the
 * certificate directory ({@link io.hyperfile.nbd.tls.TlsCertificates}), the upgrade of a connection
 * ({@link io.hyperfile.nbd.tls.ServerTls}) and the verified client ({@link io.hyperfile.nbd.tls.TlsPeer}).
 */
package io.hyperfile.nbd.tls;
