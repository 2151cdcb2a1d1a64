package io.hyperfile.cli.it;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small NBD client for end-to-end tests (public for the in-process serve tests of {@code io.hyperfile.cli}):
 * fixed newstyle handshake with {@code NBD_OPT_GO}, then WRITE, FLUSH
 * and READ with simple replies (structured replies are not negotiated). Requests are pipelined: each gets its own
 * cookie, and one reader thread ({@code hf-test-nbd-reader}) completes the matching future, so any number may be
 * in flight. Completions run on the reader thread and must not block. Sends are serialised on the socket.
 *
 * <p>When the connection breaks (the server was killed), every pending future and every later request fails
 * with an {@link IOException}.
 */
public final class NbdTestClient implements AutoCloseable {
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;
    private static final int OPT_GO = 7;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int INFO_EXPORT = 0;
    private static final int CMD_READ = 0;
    private static final int CMD_WRITE = 1;
    private static final int CMD_DISC = 2;
    private static final int CMD_FLUSH = 3;
    static final int CMD_FLAG_FUA = 1;

    private record Pending(CompletableFuture<byte[]> future, int readLength) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong(0x1234_0000_0000_0000L);
    private final long sizeBytes;
    private final int transmissionFlags;
    private final AtomicReference<IOException> broken = new AtomicReference<>();

    private NbdTestClient(Socket socket, DataInputStream in, DataOutputStream out, long sizeBytes, int flags) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.sizeBytes = sizeBytes;
        this.transmissionFlags = flags;
        Thread reader = new Thread(this::readReplies, "hf-test-nbd-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects, negotiates {@code exportName} with NBD_OPT_GO and starts the reply reader. */
    public static NbdTestClient connect(String host, int port, String exportName) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(60_000); // a hung server fails the test instead of hanging it
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            expect("NBDMAGIC", NBDMAGIC, in.readLong());
            expect("IHAVEOPT", IHAVEOPT, in.readLong());
            int handshakeFlags = in.readUnsignedShort();
            if ((handshakeFlags & FLAG_FIXED_NEWSTYLE) == 0) {
                throw new IOException("server is not fixed newstyle: handshake flags " + handshakeFlags);
            }
            out.writeInt(FLAG_FIXED_NEWSTYLE | (handshakeFlags & FLAG_NO_ZEROES));
            byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
            out.writeLong(IHAVEOPT);
            out.writeInt(OPT_GO);
            out.writeInt(4 + name.length + 2);
            out.writeInt(name.length);
            out.write(name);
            out.writeShort(0); // no info requests: NBD_INFO_EXPORT is always sent
            out.flush();
            long size = -1;
            int flags = 0;
            while (true) {
                expect("option reply magic", OPTION_REPLY_MAGIC, in.readLong());
                expect("option", OPT_GO, in.readInt());
                int type = in.readInt();
                byte[] data = new byte[in.readInt()];
                in.readFully(data);
                if (type == REP_ACK) {
                    break;
                }
                if (type < 0) {
                    throw new IOException("NBD_OPT_GO for '" + exportName + "' failed: reply type 0x"
                            + Integer.toHexString(type) + " " + new String(data, StandardCharsets.UTF_8));
                }
                if (type == REP_INFO && data.length >= 12 && ((data[0] & 0xff) << 8 | data[1] & 0xff) == INFO_EXPORT) {
                    ByteBuffer b = ByteBuffer.wrap(data, 2, 10);
                    size = b.getLong();
                    flags = b.getShort() & 0xffff;
                }
            }
            if (size < 0) {
                throw new IOException("NBD_OPT_GO for '" + exportName + "' ended without NBD_INFO_EXPORT");
            }
            return new NbdTestClient(socket, in, out, size, flags);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    int transmissionFlags() {
        return transmissionFlags;
    }

    public CompletableFuture<Void> write(long offset, byte[] data, int commandFlags) {
        return send(CMD_WRITE, commandFlags, offset, data.length, data, 0).thenApply(x -> null);
    }

    public CompletableFuture<Void> flush() {
        return send(CMD_FLUSH, 0, 0, 0, null, 0).thenApply(x -> null);
    }

    public CompletableFuture<byte[]> read(long offset, int length) {
        return send(CMD_READ, 0, offset, length, null, length);
    }

    private CompletableFuture<byte[]> send(int type, int flags, long offset, int length, byte[] payload, int readLength) {
        long cookie = cookies.getAndIncrement();
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        pending.put(cookie, new Pending(f, readLength));
        try {
            synchronized (out) {
                if (broken.get() != null) {
                    throw broken.get();
                }
                writeHeader(type, flags, cookie, offset, length);
                if (payload != null) {
                    out.write(payload);
                }
                out.flush();
            }
        } catch (IOException e) {
            fail(e);
        }
        return f;
    }

    private void writeHeader(int type, int flags, long cookie, long offset, int length) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private void readReplies() {
        try {
            while (true) {
                expect("simple reply magic", SIMPLE_REPLY_MAGIC, in.readInt());
                int error = in.readInt();
                long cookie = in.readLong();
                Pending p = pending.remove(cookie);
                if (p == null) {
                    throw new IOException("reply for unknown cookie " + Long.toHexString(cookie));
                }
                if (error != 0) {
                    p.future.completeExceptionally(new NbdErrorException(error));
                    continue;
                }
                byte[] data = new byte[p.readLength];
                in.readFully(data);
                p.future.complete(data);
            }
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new IOException("reply reader failed", e));
        }
    }

    private void fail(IOException e) {
        broken.compareAndSet(null, e instanceof EOFException ? new IOException("server closed the connection", e) : e);
        IOException cause = broken.get();
        for (Long cookie : pending.keySet()) {
            Pending p = pending.remove(cookie);
            if (p != null) {
                p.future.completeExceptionally(cause);
            }
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Sends NBD_CMD_DISC (if the connection is still up) and closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            synchronized (out) {
                if (broken.get() == null) {
                    writeHeader(CMD_DISC, 0, cookies.getAndIncrement(), 0, 0);
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // the server is gone; nothing to say goodbye to
        } finally {
            fail(new IOException("client closed"));
        }
    }

    private static void expect(String what, long expected, long actual) throws IOException {
        if (expected != actual) {
            throw new IOException("bad " + what + ": expected 0x" + Long.toHexString(expected) + ", got 0x" + Long.toHexString(actual));
        }
    }

    /** A request the server answered with a non-zero NBD error code. */
    static final class NbdErrorException extends IOException {
        private static final long serialVersionUID = 1L;
        final int error;

        NbdErrorException(int error) {
            super("NBD error " + error);
            this.error = error;
        }
    }
}
