package io.hyperfile.cli;

import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.tls.ServerTls;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code serve} prints once it listens: what it serves where, and how to attach. On TCP the first line is
 * {@code hyperfile: serving NAMES on HOST:PORT} (tests and scripts read it); on a Unix socket alone it is
 * {@code hyperfile: serving NAMES on unix socket PATH}.
 */
final class AttachHelp {
    private AttachHelp() {
    }

    /** With TLS required, the plain-text hints are left out and {@link TlsOptions#printHowToAttach} says how. */
    static void print(PrintWriter out, NbdServer server, List<String> served, List<String> pending, ServerTls tls) {
        String what = served.isEmpty() ? "no volume yet" : String.join(", ", served);
        if (!pending.isEmpty()) {
            what += " (not yet: " + String.join(", ", pending) + ")";
        }
        String first = served.isEmpty() ? pending.get(0) : served.get(0);
        Path socket = server.unixSocket();
        boolean tcp = server.listensOnTcp();
        String host = null;
        int port = 0;
        if (tcp) {
            InetSocketAddress at = server.localAddress();
            host = at.getAddress() != null && at.getAddress().isAnyLocalAddress() ? "HOST" : at.getHostString();
            if (host.contains(":")) {
                host = "[" + host + "]"; // an IPv6 literal in a URI
            }
            port = at.getPort();
            out.println("hyperfile: serving " + what + " on " + host + ":" + port
                    + (host.equals("HOST") ? " (all interfaces; HOST = this machine's name or address)" : ""));
            if (socket != null) {
                out.println("hyperfile: also on unix socket " + socket);
            }
        } else {
            out.println("hyperfile: serving " + what + " on unix socket " + socket);
        }
        if (!tls.isRequired()) {
            out.println("attach it with one of:");
        }
        if (tcp && !tls.isRequired()) {
            out.println("  nbd-client -N " + first + " " + host + " " + port + " /dev/nbd0");
            out.println("  qemu-system-x86_64 ... -drive file=nbd://" + host + ":" + port + "/" + first + ",format=raw");
            out.println("  nbdfuse /mnt/" + first + " nbd://" + host + ":" + port + "/" + first);
        }
        if (socket != null && !tls.isRequired()) {
            out.println("  nbdfuse /mnt/" + first + " 'nbd+unix:///" + first + "?socket=" + socket + "'");
            out.println("  nbdinfo 'nbd+unix:///" + first + "?socket=" + socket + "'");
            out.println("  qemu-img info 'nbd+unix:///" + first + "?socket=" + socket + "'");
        }
        if (tcp) {
            TlsOptions.printHowToAttach(out, tls, host, port, first);
        }
        out.flush();
    }
}
