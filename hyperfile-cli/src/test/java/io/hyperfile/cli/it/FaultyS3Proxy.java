package io.hyperfile.cli.it;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 between an S3 client and an S3 server (the tests' S3Proxy) that injects faults
 * at configurable rates, one draw per request:
 * <ul>
 *   <li>{@link Fault#SLOW_DOWN}: answers 503 with an S3 {@code SlowDown} error body; the request is not forwarded.</li>
 *   <li>{@link Fault#INTERNAL_ERROR}: answers 500 with an S3 {@code InternalError} body; not forwarded.</li>
 *   <li>{@link Fault#RESET}: reads the request, then resets the connection (RST); not forwarded.</li>
 *   <li>{@link Fault#APPLIED_THEN_500}: forwards the request (the server applies it), drops the server's answer and
 *       answers 500 {@code InternalError}: the client cannot tell it from a request that never happened.</li>
 *   <li>{@link Fault#STALL}: forwards the request, then holds the server's answer for the stall time (longer than
 *       any sane request timeout) or until {@link #releaseStalls()} or {@link #close()}, then passes it on (if the
 *       client still listens).</li>
 * </ul>
 * The client must send {@code Host} as it would to the server (path-style); SigV4 signatures pass unchanged because
 * the proxy forwards the request bytes as received. {@code Expect: 100-continue} is answered by the proxy, which
 * reads the whole body before it decides.
 *
 * <p>Thread-safety: thread-safe. One acceptor thread and one blocking thread per client connection (each with its
 * own upstream connection, opened lazily and reused while both sides keep alive). Draws come from one seeded
 * {@link Random} under a lock; which request gets which draw still depends on the client's timing.
 */
final class FaultyS3Proxy implements AutoCloseable {
    /** The kinds of injected fault. */
    enum Fault { SLOW_DOWN, INTERNAL_ERROR, RESET, APPLIED_THEN_500, STALL }

    /**
     * Fault probabilities per request (each in [0, 1], summing to at most 1), and a cap on the number of stalls per
     * HTTP method (so that both uploads and reads get some), which cost wall-clock time.
     */
    record Rates(double slowDown, double internalError, double reset, double appliedThen500, double stall, int maxStalls) {
        static final Rates NONE = new Rates(0, 0, 0, 0, 0, 0);

        Rates {
            double sum = 0;
            for (double r : new double[] {slowDown, internalError, reset, appliedThen500, stall}) {
                if (r < 0 || r > 1) {
                    throw new IllegalArgumentException("a fault rate must be in [0, 1]. rate=" + r);
                }
                sum += r;
            }
            if (sum > 1) {
                throw new IllegalArgumentException("fault rates must sum to at most 1. sum=" + sum);
            }
        }

        boolean isNone() {
            return slowDown + internalError + reset + appliedThen500 + stall == 0;
        }
    }

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final long stallMillis;
    private final Random random;
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    private final AtomicLong requests = new AtomicLong();
    private final Map<String, AtomicLong> stallsByMethod = new ConcurrentHashMap<>();
    private final List<String> stalls = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Rates rates = Rates.NONE;
    private volatile CountDownLatch stallRelease = new CountDownLatch(1);
    private volatile boolean closed;

    /** Starts listening on 127.0.0.1 (any free port) in front of {@code upstream} (an http:// URI). */
    FaultyS3Proxy(URI upstream, long seed, long stallMillis) throws IOException {
        if (!"http".equals(upstream.getScheme())) {
            throw new IllegalArgumentException("upstream must be http://HOST:PORT. upstream=" + upstream);
        }
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.stallMillis = stallMillis;
        this.random = new Random(seed);
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
        this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "hf-test-s3fault-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    void setRates(Rates rates) {
        this.rates = rates;
    }

    /** Passes on every response held by a stall now (later stalls hold again). */
    void releaseStalls() {
        CountDownLatch old = stallRelease;
        stallRelease = new CountDownLatch(1);
        old.countDown();
    }

    long injected(Fault fault) {
        return injected.get(fault).get();
    }

    /** Faults injected so far, by kind (a snapshot). */
    Map<Fault, Long> injected() {
        Map<Fault, Long> m = new EnumMap<>(Fault.class);
        injected.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** The stalled requests so far: path, answer status, method and how long the answer was held. */
    List<String> stalls() {
        return List.copyOf(stalls);
    }

    long requests() {
        return requests.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                Thread t = new Thread(() -> serve(client), "hf-test-s3fault-" + connections.incrementAndGet());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("FaultyS3Proxy: accept failed: " + e);
                }
                return;
            }
        }
    }

    private Fault draw(String method) {
        Rates r = rates;
        if (r.isNone()) {
            return null;
        }
        double x;
        synchronized (random) {
            x = random.nextDouble();
        }
        if ((x -= r.slowDown()) < 0) {
            return Fault.SLOW_DOWN;
        }
        if ((x -= r.internalError()) < 0) {
            return Fault.INTERNAL_ERROR;
        }
        if ((x -= r.reset()) < 0) {
            return Fault.RESET;
        }
        if ((x -= r.appliedThen500()) < 0) {
            return Fault.APPLIED_THEN_500;
        }
        if ((x -= r.stall()) < 0) {
            AtomicLong stalls = stallsByMethod.computeIfAbsent(method, m -> new AtomicLong());
            long n = stalls.get();
            if (n < r.maxStalls() && stalls.compareAndSet(n, n + 1)) {
                injected.get(Fault.STALL).incrementAndGet();
                return Fault.STALL;
            }
        }
        return null;
    }

    /** Serves one client connection: request after request until either side closes. */
    private void serve(Socket client) {
        Upstream up = null;
        try (client) {
            client.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(client.getInputStream(), 1 << 16);
            OutputStream out = new BufferedOutputStream(client.getOutputStream(), 1 << 16);
            while (!closed) {
                HttpMessage request = readRequest(in, out);
                if (request == null) {
                    return;
                }
                requests.incrementAndGet();
                Fault fault = draw(request.method());
                if (fault != null && fault != Fault.STALL) {
                    injected.get(fault).incrementAndGet();
                }
                if (fault == Fault.RESET) {
                    client.setSoLinger(true, 0); // close() now sends RST
                    return;
                }
                if (fault == Fault.SLOW_DOWN) {
                    writeError(out, request, 503, "Slow Down", "SlowDown", "Please reduce your request rate.");
                    continue;
                }
                if (fault == Fault.INTERNAL_ERROR) {
                    writeError(out, request, 500, "Internal Server Error", "InternalError",
                            "We encountered an internal error. Please try again.");
                    continue;
                }
                HttpMessage response;
                if (up == null) {
                    up = connectUpstream();
                    response = forward(request, up);
                } else {
                    try {
                        response = forward(request, up);
                    } catch (IOException e) {
                        // the server closed an idle keep-alive connection before reading the request: once more
                        closeUpstream(up);
                        up = connectUpstream();
                        response = forward(request, up);
                    }
                }
                if (fault == Fault.APPLIED_THEN_500) {
                    writeError(out, request, 500, "Internal Server Error", "InternalError",
                            "We encountered an internal error. Please try again.");
                } else {
                    if (fault == Fault.STALL) {
                        long held = System.nanoTime();
                        boolean released = stallRelease.await(stallMillis, TimeUnit.MILLISECONDS);
                        String path = request.startLine().split(" ")[1].replaceFirst("\\?.*", "");
                        stalls.add(String.format("%s %s -> %d, held %d ms%s", request.method(), path, response.status(),
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - held), released ? " (released early)" : ""));
                        if (closed) {
                            return;
                        }
                    }
                    response.writeTo(out);
                }
                if (response.closesConnection()) {
                    closeUpstream(up);
                    up = null;
                }
                if (request.closesConnection()) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away (killed server, timeout) or the upstream failed: drop the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sockets.remove(client);
            closeUpstream(up);
        }
    }

    /** The next request, answering {@code Expect: 100-continue} first so that the client sends the body. */
    private static HttpMessage readRequest(InputStream in, OutputStream out) throws IOException {
        HttpMessage head = HttpMessage.readRequestHead(in);
        if (head == null) {
            return null;
        }
        if (head.expectsContinue()) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        return head.withBody(in);
    }

    /** One connection to the S3 server. */
    private record Upstream(Socket socket, InputStream in, OutputStream out) {
    }

    private Upstream connectUpstream() throws IOException {
        Socket up = new Socket();
        sockets.add(up);
        up.setTcpNoDelay(true);
        up.connect(upstream, 10_000);
        return new Upstream(up, new BufferedInputStream(up.getInputStream(), 1 << 16),
                new BufferedOutputStream(up.getOutputStream(), 1 << 16));
    }

    private void closeUpstream(Upstream up) {
        if (up != null) {
            sockets.remove(up.socket());
            try {
                up.socket().close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Sends the request upstream (without its Expect header: the proxy already answered it) and reads the answer. */
    private static HttpMessage forward(HttpMessage request, Upstream up) throws IOException {
        request.writeTo(up.out(), "Expect");
        return HttpMessage.readResponse(up.in(), request.method());
    }

    private static void writeError(OutputStream out, HttpMessage request, int status, String reason, String code,
            String message) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>hf-fault</RequestId><HostId>hf-fault</HostId></Error>";
        byte[] body = request.method().equals("HEAD") ? new byte[0] : xml.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.length + "\r\nx-amz-request-id: hf-fault\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** Stops listening, releases stalls and closes every connection. */
    @Override
    public void close() throws IOException {
        closed = true;
        stallRelease.countDown();
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
