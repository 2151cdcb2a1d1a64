package io.hyperfile.cli.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One HTTP/1.1 message (request or response) read whole from a stream, for {@link FaultyS3Proxy}: the start line,
 * the header lines as received, and the body in its wire framing (Content-Length bytes, or the raw chunks of
 * {@code Transfer-Encoding: chunked} up to and including the trailer), so that it can be written on unchanged.
 * Immutable after reading; not thread-safe to read from one stream in two threads.
 */
final class HttpMessage {
    private static final int MAX_HEAD_BYTES = 64 << 10;
    private static final int MAX_BODY_BYTES = 256 << 20;

    private final String startLine;
    private final List<String> headers;
    private final byte[] body;

    private HttpMessage(String startLine, List<String> headers, byte[] body) {
        this.startLine = startLine;
        this.headers = headers;
        this.body = body;
    }

    /**
     * Reads a request's start line and headers (no body yet: see {@link #withBody}); null at a clean end of
     * stream (the client closed an idle keep-alive connection).
     */
    static HttpMessage readRequestHead(InputStream in) throws IOException {
        List<String> head = readHead(in);
        if (head == null) {
            return null;
        }
        String startLine = head.remove(0);
        return new HttpMessage(startLine, head, null);
    }

    /** This request head with its body, read from {@code in}. */
    HttpMessage withBody(InputStream in) throws IOException {
        return new HttpMessage(startLine, headers, readBody(in, true));
    }

    /**
     * Reads a response to a request with method {@code requestMethod}, skipping interim 1xx responses. A response
     * with neither length nor chunking is read to the end of the stream.
     */
    static HttpMessage readResponse(InputStream in, String requestMethod) throws IOException {
        while (true) {
            List<String> head = readHead(in);
            if (head == null) {
                throw new EOFException("upstream closed the connection before a response");
            }
            String startLine = head.remove(0);
            int status = status(startLine);
            if (status >= 100 && status < 200) {
                continue;
            }
            HttpMessage framing = new HttpMessage(startLine, head, null);
            boolean noBody = requestMethod.equals("HEAD") || status == 204 || status == 304;
            return new HttpMessage(startLine, head, noBody ? new byte[0] : framing.readBody(in, false));
        }
    }

    String startLine() {
        return startLine;
    }

    String method() {
        int sp = startLine.indexOf(' ');
        return sp < 0 ? startLine : startLine.substring(0, sp);
    }

    int status() {
        return status(startLine);
    }

    /** The first value of header {@code name} (case-insensitive), or null. */
    String header(String name) {
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return h.substring(colon + 1).trim();
            }
        }
        return null;
    }

    boolean expectsContinue() {
        String e = header("Expect");
        return e != null && e.equalsIgnoreCase("100-continue");
    }

    /** Whether the connection ends after this message ({@code Connection: close} or HTTP/1.0). */
    boolean closesConnection() {
        String c = header("Connection");
        return (c != null && c.toLowerCase(Locale.ROOT).contains("close")) || startLine.contains("HTTP/1.0");
    }

    /** The message as it came, without the headers named in {@code drop} (case-insensitive). */
    void writeTo(OutputStream out, String... drop) throws IOException {
        StringBuilder head = new StringBuilder(startLine).append("\r\n");
        outer:
        for (String h : headers) {
            int colon = h.indexOf(':');
            for (String d : drop) {
                if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(d)) {
                    continue outer;
                }
            }
            head.append(h).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static int status(String startLine) {
        String[] parts = startLine.split(" ", 3);
        try {
            return parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private byte[] readBody(InputStream in, boolean request) throws IOException {
        String te = header("Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            return readChunked(in);
        }
        String cl = header("Content-Length");
        if (cl != null) {
            long length = Long.parseLong(cl);
            if (length < 0 || length > MAX_BODY_BYTES) {
                throw new IOException("Content-Length out of range: " + cl);
            }
            return in.readNBytes((int) length);
        }
        return request ? new byte[0] : in.readAllBytes();
    }

    /** The raw chunked body: size lines, data and CRLFs, the last chunk and the trailer, byte for byte. */
    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("end of stream in a chunked body");
            }
            raw.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                String trailer;
                do {
                    trailer = readLine(in);
                    if (trailer == null) {
                        throw new EOFException("end of stream in a chunked trailer");
                    }
                    raw.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                } while (!trailer.isEmpty());
                return raw.toByteArray();
            }
            if (raw.size() + size > MAX_BODY_BYTES) {
                throw new IOException("chunked body above " + MAX_BODY_BYTES + " bytes");
            }
            byte[] data = in.readNBytes(size + 2); // data and its CRLF
            if (data.length != size + 2) {
                throw new EOFException("end of stream in a chunk");
            }
            raw.write(data);
        }
    }

    /** The start line and header lines, or null if the stream ends before the first byte. */
    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        int bytes = 0;
        while (true) {
            String line = readLine(in);
            if (line == null) {
                if (lines.isEmpty()) {
                    return null;
                }
                throw new EOFException("end of stream in a message head");
            }
            if (line.isEmpty()) {
                if (lines.isEmpty()) {
                    continue; // a stray CRLF between messages
                }
                return lines;
            }
            bytes += line.length() + 2;
            if (bytes > MAX_HEAD_BYTES) {
                throw new IOException("message head above " + MAX_HEAD_BYTES + " bytes");
            }
            lines.add(line);
        }
    }

    /** A line without its CRLF (a bare LF also ends it); null at end of stream before any byte. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (sb.length() == 0) {
                    return null;
                }
                throw new EOFException("end of stream in a line");
            }
            if (b == '\n') {
                int n = sb.length();
                if (n > 0 && sb.charAt(n - 1) == '\r') {
                    sb.setLength(n - 1);
                }
                return sb.toString();
            }
            sb.append((char) b);
            if (sb.length() > MAX_HEAD_BYTES) {
                throw new IOException("line above " + MAX_HEAD_BYTES + " bytes");
            }
        }
    }
}
