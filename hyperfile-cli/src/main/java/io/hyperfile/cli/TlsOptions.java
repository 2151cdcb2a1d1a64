package io.hyperfile.cli;

import io.hyperfile.nbd.tls.ServerTls;
import io.hyperfile.nbd.tls.TlsCertificates;
import io.hyperfile.nbd.tls.TlsMode;
import io.hyperfile.nbd.tls.TlsSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * TLS in {@code serve}: {@code --tls off|on|require}, {@code --tls-certificates DIR} (nbdkit's and qemu's layout:
 * {@code server-cert.pem}, {@code server-key.pem}, and {@code ca-cert.pem} for {@code --tls-verify-peer}) and
 * {@code --tls-verify-peer}. {@link #serverTls()} reads and checks the certificates, so a bad directory stops serve
 * at startup with one line (exit 2). See docs/TLS.md.
 */
final class TlsOptions {
    @Option(names = "--tls", paramLabel = "off|on|require", defaultValue = "off",
            description = "TLS for clients (NBD STARTTLS): off; on (offered, plain clients still served); require (only"
                    + " after TLS). Default ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--tls-certificates", paramLabel = "DIR",
            description = "Directory with " + TlsCertificates.SERVER_CERT + ", " + TlsCertificates.SERVER_KEY + " and (for"
                    + " --tls-verify-peer) " + TlsCertificates.CA_CERT + ", as for nbdkit and qemu.")
    Path certificates;

    @Option(names = "--tls-verify-peer",
            description = "Require a client certificate signed by the directory's " + TlsCertificates.CA_CERT + ".")
    boolean verifyPeer;

    /** The settings given; {@link IllegalArgumentException} with one line for a bad combination. */
    TlsSettings settings() {
        return new TlsSettings(TlsMode.parse(mode), certificates, verifyPeer);
    }

    /** The server's TLS, certificates read and checked; {@link IllegalArgumentException} with one line on a problem. */
    ServerTls serverTls() {
        return ServerTls.create(settings());
    }

    /** How to attach over TLS, printed by serve after the plain-text hints. */
    static void printHowToAttach(PrintWriter out, ServerTls tls, String host, int port, String volume) {
        if (!tls.isOffered()) {
            return;
        }
        out.println("TLS " + tls.mode().label() + " (" + tls.provider() + (tls.verifiesPeers() ? ", client certificates verified" : "")
                + "); DIR holds " + TlsCertificates.CA_CERT + (tls.verifiesPeers() ? ", client-cert.pem and client-key.pem" : "") + ":");
        out.println("  nbdinfo 'nbds://" + host + ":" + port + "/" + volume + "?tls-certificates=DIR'");
        out.println("  qemu-img info --object tls-creds-x509,id=tls0,endpoint=client,dir=DIR --image-opts driver=nbd,"
                + "server.type=inet,server.host=" + host + ",server.port=" + port + ",export=" + volume + ",tls-creds=tls0");
    }
}
