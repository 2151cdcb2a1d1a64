package io.hyperfile.nbd.testing;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small blocking NBD client for tests, written from the spec: fixed newstyle handshake (GO or EXPORT_NAME,
 * optionally structured replies and base:allocation), then pipelined requests whose replies a reader thread matches
 * by cookie. Thread-safe for {@link #send}.
 */
public final class NbdTestClient implements AutoCloseable {

    /** How to negotiate. */
    public record Options(boolean structured, boolean allocationContext, boolean exportName, boolean noZeroes) {
        /** Like the kernel: GO without info requests, simple replies only. */
        public static final Options KERNEL = new Options(false, false, false, true);
        /** Like libnbd: structured replies and base:allocation. */
        public static final Options LIBNBD = new Options(true, true, false, true);
    }

    /** A reply: error 0 on success; READ data (assembled); block-status extents as [length, flags] pairs. */
    public record Reply(long cookie, int error, byte[] data, List<long[]> extents, List<Integer> chunkTypes, String message) {
        public boolean ok() {
            return error == 0;
        }
    }

    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final Options options;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** Set by the reader before it fails what is pending, so that a later send cannot wait forever. */
    private volatile boolean readerDone;
    private final AtomicLong nextCookie = new AtomicLong(1);
    private long size;
    private int transmissionFlags;
    private int contextId;
    private Thread reader;
    private volatile Throwable readerFailure;

    private final class Pending {
        final long cookie;
        final int type;
        final long offset;
        final long length;
        final CompletableFuture<Reply> future = new CompletableFuture<>();
        byte[] data;
        final List<long[]> extents = new ArrayList<>();
        final List<Integer> chunkTypes = new ArrayList<>();
        int error;
        String message;

        Pending(long cookie, int type, long offset, long length) {
            this.cookie = cookie;
            this.type = type;
            this.offset = offset;
            this.length = length;
        }

        void complete() {
            pending.remove(cookie);
            future.complete(new Reply(cookie, error, data, extents, chunkTypes, message));
        }
    }

    private NbdTestClient(Socket socket, Options options) throws IOException {
        this.socket = socket;
        this.options = options;
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    }

    public static NbdTestClient connect(int port, String export) throws IOException {
        return connect(port, export, Options.LIBNBD);
    }

    public static NbdTestClient connect(int port, String export, Options options) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(60_000);
        NbdTestClient c = new NbdTestClient(s, options);
        try {
            c.handshake(export);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        // Past the handshake an idle connection is normal (a bystander may wait minutes on a loaded machine);
        // every request has its own deadline on its future.
        s.setSoTimeout(0);
        c.reader = new Thread(c::readLoop, "nbd-test-client-reader");
        c.reader.setDaemon(true);
        c.reader.start();
        return c;
    }

    public long size() {
        return size;
    }

    public int transmissionFlags() {
        return transmissionFlags;
    }

    public Socket socket() {
        return socket;
    }

    // ---------------------------------------------------------------- handshake

    private void handshake(String export) throws IOException {
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        int serverFlags = in.readUnsignedShort();
        boolean noZeroes = options.noZeroes() && (serverFlags & FLAG_NO_ZEROES) != 0;
        out.writeInt(FLAG_C_FIXED_NEWSTYLE | (noZeroes ? FLAG_C_NO_ZEROES : 0));
        if (options.structured()) {
            OptionReply r = option(OPT_STRUCTURED_REPLY, new byte[0]).get(0);
            if (r.type != REP_ACK) {
                throw new IOException("STRUCTURED_REPLY refused: " + r.type);
            }
            if (options.allocationContext()) {
                byte[] name = export.getBytes(StandardCharsets.UTF_8);
                byte[] q = CONTEXT_BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + name.length + 4 + 4 + q.length);
                b.putInt(name.length).put(name).putInt(1).putInt(q.length).put(q);
                for (OptionReply rr : option(OPT_SET_META_CONTEXT, b.array())) {
                    if (rr.type == REP_META_CONTEXT) {
                        contextId = java.nio.ByteBuffer.wrap(rr.data).getInt();
                    } else if (rr.type != REP_ACK) {
                        throw new IOException("SET_META_CONTEXT failed: " + Integer.toHexString(rr.type));
                    }
                }
            }
        }
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        if (options.exportName()) {
            writeOption(OPT_EXPORT_NAME, name);
            size = in.readLong();
            transmissionFlags = in.readUnsignedShort();
            if (!noZeroes) {
                in.readFully(new byte[124]);
            }
            return;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + name.length + 2);
        b.putInt(name.length).put(name).putShort((short) 0);
        for (OptionReply r : option(OPT_GO, b.array())) {
            if (r.type == REP_INFO) {
                java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(r.data);
                if (d.getShort() == INFO_EXPORT) {
                    size = d.getLong();
                    transmissionFlags = d.getShort() & 0xFFFF;
                }
            } else if (r.type != REP_ACK) {
                throw new IOException("GO failed: 0x" + Integer.toHexString(r.type) + " " + new String(r.data, StandardCharsets.UTF_8));
            }
        }
    }

    private record OptionReply(int type, byte[] data) {
    }

    private void writeOption(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    /** Sends an option and reads replies up to the final one (ACK or error). */
    private List<OptionReply> option(int option, byte[] data) throws IOException {
        writeOption(option, data);
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            if (in.readLong() != OPTION_REPLY_MAGIC) {
                throw new IOException("bad option reply magic");
            }
            int opt = in.readInt();
            int type = in.readInt();
            int len = in.readInt();
            byte[] d = new byte[len];
            in.readFully(d);
            if (opt != option) {
                throw new IOException("reply for option " + opt + ", expected " + option);
            }
            replies.add(new OptionReply(type, d));
            if (type == REP_ACK || type < 0) {
                return replies;
            }
        }
    }

    // ---------------------------------------------------------------- transmission

    public CompletableFuture<Reply> send(int type, int flags, long offset, long length, byte[] payload) {
        return send(nextCookie.getAndIncrement(), type, flags, offset, length, payload);
    }

    /** Sends a request with an explicit cookie (the caller keeps cookies unique among those in flight). */
    public CompletableFuture<Reply> send(long cookie, int type, int flags, long offset, long length, byte[] payload) {
        Pending p = new Pending(cookie, type, offset, length);
        if (type != CMD_DISC) {
            pending.put(cookie, p);
        }
        try {
            synchronized (out) {
                out.writeInt(REQUEST_MAGIC);
                out.writeShort(flags);
                out.writeShort(type);
                out.writeLong(cookie);
                out.writeLong(offset);
                out.writeInt((int) length);
                if (payload != null) {
                    out.write(payload);
                }
                out.flush();
            }
        } catch (IOException e) {
            pending.remove(cookie);
            p.future.completeExceptionally(e);
        }
        if (type == CMD_DISC) {
            p.future.complete(null);
        } else if (readerDone && pending.remove(cookie) != null) {
            // The server had already closed: this request was never read, so it will never be answered.
            p.future.completeExceptionally(new IOException("connection closed before the request was read"));
        }
        return p.future;
    }

    public Reply read(long offset, int length) throws Exception {
        return send(CMD_READ, 0, offset, length, null).get(60, TimeUnit.SECONDS);
    }

    public Reply write(long offset, byte[] data) throws Exception {
        return send(CMD_WRITE, 0, offset, data.length, data).get(60, TimeUnit.SECONDS);
    }

    public Reply call(int type, int flags, long offset, long length) throws Exception {
        return send(type, flags, offset, length, null).get(60, TimeUnit.SECONDS);
    }

    public Reply flush() throws Exception {
        return call(CMD_FLUSH, 0, 0, 0);
    }

    /** Sends DISC and waits for the server to close the connection. */
    public void disconnect() throws Exception {
        send(CMD_DISC, 0, 0, 0, null);
        reader.join(30_000);
    }

    /** Whether the server closed the connection (the reader saw EOF or an error). */
    public boolean isClosedByServer() {
        return !reader.isAlive();
    }

    public void awaitClosedByServer(long millis) throws InterruptedException {
        reader.join(millis);
    }

    private void readLoop() {
        try {
            while (true) {
                int magic = in.readInt();
                if (magic == SIMPLE_REPLY_MAGIC) {
                    int error = in.readInt();
                    long cookie = in.readLong();
                    Pending p = pendingFor(cookie);
                    p.error = error;
                    if (error == 0 && p.type == CMD_READ) {
                        p.data = new byte[(int) p.length];
                        in.readFully(p.data);
                    }
                    p.complete();
                } else if (magic == STRUCTURED_REPLY_MAGIC) {
                    int flags = in.readUnsignedShort();
                    int type = in.readUnsignedShort();
                    long cookie = in.readLong();
                    long length = in.readInt() & 0xFFFFFFFFL;
                    Pending p = pendingFor(cookie);
                    p.chunkTypes.add(type);
                    chunk(p, type, length);
                    if ((flags & REPLY_FLAG_DONE) != 0) {
                        p.complete();
                    }
                } else {
                    throw new IOException("bad reply magic 0x" + Integer.toHexString(magic));
                }
            }
        } catch (EOFException | java.net.SocketException e) {
            // closed
        } catch (Throwable t) {
            readerFailure = t;
        } finally {
            readerDone = true;
            IOException closed = new IOException("connection closed", readerFailure);
            pending.values().forEach(p -> p.future.completeExceptionally(closed));
            pending.clear();
        }
    }

    private Pending pendingFor(long cookie) throws IOException {
        Pending p = pending.get(cookie);
        if (p == null) {
            throw new IOException("reply for unknown cookie 0x" + Long.toHexString(cookie));
        }
        return p;
    }

    private void chunk(Pending p, int type, long length) throws IOException {
        if (p.type == CMD_READ && p.data == null && (type == REPLY_TYPE_OFFSET_DATA || type == REPLY_TYPE_OFFSET_HOLE)) {
            p.data = new byte[(int) p.length];
        }
        switch (type) {
            case REPLY_TYPE_NONE -> {
            }
            case REPLY_TYPE_OFFSET_DATA -> {
                long off = in.readLong();
                int n = (int) (length - 8);
                checkInside(p, off, n);
                in.readFully(p.data, (int) (off - p.offset), n);
            }
            case REPLY_TYPE_OFFSET_HOLE -> {
                long off = in.readLong();
                long n = in.readInt() & 0xFFFFFFFFL;
                checkInside(p, off, n);
                java.util.Arrays.fill(p.data, (int) (off - p.offset), (int) (off - p.offset + n), (byte) 0);
            }
            case REPLY_TYPE_BLOCK_STATUS -> {
                int id = in.readInt();
                if (id != contextId) {
                    throw new IOException("block status for context " + id + ", selected " + contextId);
                }
                for (long i = 0; i < (length - 4) / 8; i++) {
                    p.extents.add(new long[] {in.readInt() & 0xFFFFFFFFL, in.readInt()});
                }
            }
            case REPLY_TYPE_ERROR, REPLY_TYPE_ERROR_OFFSET -> {
                p.error = in.readInt();
                int ml = in.readUnsignedShort();
                byte[] m = new byte[ml];
                in.readFully(m);
                p.message = new String(m, StandardCharsets.UTF_8);
                in.skipBytes((int) (length - 6 - ml));
            }
            default -> throw new IOException("unknown chunk type " + type);
        }
    }

    private static void checkInside(Pending p, long off, long n) throws IOException {
        if (off < p.offset || off + n > p.offset + p.length || n <= 0) {
            throw new IOException("chunk [" + off + ", +" + n + ") outside the request [" + p.offset + ", +" + p.length + ")");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
