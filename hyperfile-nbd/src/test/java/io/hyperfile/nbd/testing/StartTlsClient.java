package io.hyperfile.nbd.testing;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.security.Principal;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A blocking client for the handshake phase, written from the spec, that can switch to TLS with the JDK's
 * {@link SSLSocket} layered over the plain socket after {@code STARTTLS}: sends options, reads raw option replies,
 * and after a successful {@code GO} sends simple READ/WRITE requests. Not thread-safe.
 */
public final class StartTlsClient implements AutoCloseable {
    /** One option reply. */
    public record OptionReply(int option, int type, byte[] data) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final Socket plain;
    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;

    private StartTlsClient(Socket plain) throws IOException {
        this.plain = plain;
        use(plain);
    }

    /** Connects to 127.0.0.1:{@code port}, reads the greeting, sends FIXED_NEWSTYLE | NO_ZEROES. */
    public static StartTlsClient connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        StartTlsClient c = new StartTlsClient(s);
        if (c.in.readLong() != NBDMAGIC || c.in.readLong() != IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        c.in.readUnsignedShort();
        c.out.writeInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
        c.out.flush();
        return c;
    }

    private void use(Socket s) throws IOException {
        socket = s;
        in = new DataInputStream(s.getInputStream());
        out = new DataOutputStream(s.getOutputStream());
    }

    /** Sends an option (without waiting). */
    public void send(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    /** Reads one option reply. */
    public OptionReply reply() throws IOException {
        long magic = in.readLong();
        if (magic != OPTION_REPLY_MAGIC) {
            throw new IOException("bad option reply magic 0x" + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** Sends an option and reads replies up to and including the first that is not REP_SERVER/INFO/META_CONTEXT. */
    public List<OptionReply> option(int option, byte[] data) throws IOException {
        send(option, data);
        List<OptionReply> replies = new ArrayList<>();
        OptionReply r;
        do {
            r = reply();
            replies.add(r);
        } while (r.type() == REP_SERVER || r.type() == REP_INFO || r.type() == REP_META_CONTEXT);
        return replies;
    }

    /** The final reply type of {@code option}. */
    public int optionResult(int option, byte[] data) throws IOException {
        List<OptionReply> r = option(option, data);
        return r.get(r.size() - 1).type();
    }

    /** STARTTLS, which must be acknowledged, then the TLS handshake with the certificates in {@code clientDir}. */
    public void startTls(Path clientDir) throws IOException, GeneralSecurityException {
        int type = optionResult(OPT_STARTTLS, new byte[0]);
        if (type != REP_ACK) {
            throw new IOException("STARTTLS answered 0x" + Integer.toHexString(type));
        }
        handshake(clientDir);
    }

    /** The TLS handshake (client side) over the connection, trusting {@code ca-cert.pem} of {@code clientDir}. */
    public void handshake(Path clientDir) throws IOException, GeneralSecurityException {
        SSLSocket tls = (SSLSocket) context(clientDir).getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        use(tls);
    }

    /** GO for {@code export}; true if acknowledged (transmission follows). */
    public boolean go(String export) throws IOException {
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[4 + name.length + 2];
        data[0] = (byte) (name.length >>> 24);
        data[1] = (byte) (name.length >>> 16);
        data[2] = (byte) (name.length >>> 8);
        data[3] = (byte) name.length;
        System.arraycopy(name, 0, data, 4, name.length);
        return optionResult(OPT_GO, data) == REP_ACK;
    }

    /** A simple-reply WRITE; returns the error (0: ok). */
    public int write(long offset, byte[] payload) throws IOException {
        request(CMD_WRITE, offset, payload.length);
        out.write(payload);
        out.flush();
        return simpleReply(0).error;
    }

    /** A simple-reply READ; returns the data (fails on an error reply). */
    public byte[] read(long offset, int length) throws IOException {
        request(CMD_READ, offset, length);
        out.flush();
        SimpleReply r = simpleReply(length);
        if (r.error != 0) {
            throw new IOException("READ failed: error " + r.error);
        }
        return r.data;
    }

    private record SimpleReply(int error, byte[] data) {
    }

    private void request(int type, long offset, int length) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(42);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private SimpleReply simpleReply(int length) throws IOException {
        if (in.readInt() != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic");
        }
        int error = in.readInt();
        in.readLong();
        byte[] data = new byte[error == 0 ? length : 0];
        in.readFully(data);
        return new SimpleReply(error, data);
    }

    /** Whether the server closed the connection: the next read sees end of stream (within the socket timeout). */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset, or a TLS alert: closed either way
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        plain.close();
    }

    /** An SSLContext trusting {@code dir/ca-cert.pem}, presenting {@code dir/client-cert.pem} if there is one. */
    public static SSLContext context(Path dir) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream ca = Files.newInputStream(dir.resolve("ca-cert.pem"))) {
            trust.setCertificateEntry("ca", cf.generateCertificate(ca));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (Files.exists(dir.resolve("client-cert.pem"))) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            Certificate cert;
            try (InputStream c = Files.newInputStream(dir.resolve("client-cert.pem"))) {
                cert = cf.generateCertificate(c);
            }
            keys.setKeyEntry("client", pkcs8(dir.resolve("client-key.pem")), new char[0], new Certificate[] {cert});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : new KeyManager[] {alwaysPresent((X509KeyManager) kmf.getKeyManagers()[0])},
                tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * Presents the client certificate whatever CAs the server asks for (the JDK's own key manager would send none
     * when its issuer is not among them, as GnuTLS clients do not): so a certificate from another CA reaches the
     * server and is refused there.
     */
    private static X509KeyManager alwaysPresent(X509KeyManager keys) {
        return new X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return new String[] {"client"};
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return "client";
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return "client";
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return keys.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return keys.getPrivateKey(alias);
            }
        };
    }

    private static PrivateKey pkcs8(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file);
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }
}
