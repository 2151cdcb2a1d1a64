package io.hyperfile.cli.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The garbage collection lines of one {@code hyperfile serve} log, read while the server appends to it: the steps of a
 * pass that the server's GcService logs at DEBUG ({@code NAME: gc: walked N segments: S bytes stored, L live}, or
 * {@code planned from the live table: N segments: ...} for a pass that did not walk, then
 * {@code deleted ...} and {@code compacted ...}; {@link #LOG_GC_STEPS} turns them on) and each pass's INFO summary
 * ({@code NAME: gc pass: deleted N segments (B bytes); ... compacted M segments, moving X live bytes ...}). Passes of
 * one volume run one at a time, so a pass's lines follow its walk line and end with its summary.
 *
 * <p>Positions are byte offsets of line ends in the file, so a wait can start after any line seen before. Waits are
 * bounded and wake on inotify (a {@link WatchService} on the log's directory), as {@link FuseDisk} waits for nbdfuse.
 * Not thread-safe: one test thread.
 */
final class GcLog implements AutoCloseable {
    /** JVM option for the server: GcService's pass steps at DEBUG, every other logger as before. */
    static final String LOG_GC_STEPS = "-Dorg.slf4j.simpleLogger.log.io.hyperfile.cli.GcService=debug";
    private static final long MAX_WAKEUP_MILLIS = 200;

    /** A pass's walk: what the store held when it planned (the same figures as {@code volume du}). */
    record Walk(long end, int segments, long storedBytes, long liveBytes) {
        long garbageBytes() {
            return storedBytes - liveBytes;
        }
    }

    /** A pass's summary line. */
    record Pass(long end, int deletedSegments, long deletedBytes, int compactedSegments, long movedBytes, String text) {
        boolean didNothing() {
            return deletedSegments == 0 && compactedSegments == 0;
        }
    }

    /** A line and the offset just past its newline. */
    private record Line(long end, String text) {
    }

    private final Path file;
    private final WatchService watch;
    private final Pattern walk;
    private final Pattern pass;
    private final Pattern step;
    private final Pattern failed;

    GcLog(Path file, String volume) throws IOException {
        this.file = file;
        this.watch = FileSystems.getDefault().newWatchService();
        file.toAbsolutePath().getParent().register(watch, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_CREATE);
        String v = Pattern.quote(volume);
        this.walk = Pattern.compile(v + ": gc: (?:walked|planned from the live table:) (\\d+) segments: (\\d+) bytes stored, (\\d+) live");
        this.pass = Pattern.compile(v + ": gc pass: deleted (\\d+) segments \\((\\d+) bytes\\);.* compacted (\\d+) segments,"
                + " moving (\\d+) live bytes.*");
        this.step = Pattern.compile(v + ": gc: (.*)");
        this.failed = Pattern.compile(v + ": gc pass failed: .*");
    }

    /** The end of what the server has logged so far: waits from here see only lines logged later. */
    long end() throws IOException {
        List<Line> lines = linesFrom(0);
        return lines.isEmpty() ? 0 : lines.get(lines.size() - 1).end();
    }

    /** The next walk logged after {@code from}, or null if none comes within {@code timeout}. */
    Walk nextWalk(long from, Duration timeout) throws IOException, InterruptedException {
        Line l = next(from, walk, timeout);
        if (l == null) {
            return null;
        }
        Matcher m = find(walk, l.text());
        return new Walk(l.end(), Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
    }

    /** The next pass summary logged after {@code from}, or null if none comes within {@code timeout}. */
    Pass nextPass(long from, Duration timeout) throws IOException, InterruptedException {
        Line l = next(from, pass, timeout);
        if (l == null) {
            return null;
        }
        Matcher m = find(pass, l.text());
        return new Pass(l.end(), Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)),
                Long.parseLong(m.group(4)), l.text());
    }

    /**
     * Waits until garbage collection has done all it will: the first pass that ends after {@code from} is skipped (it
     * may have planned before {@code from}); then the walk of the first later pass that deletes and compacts nothing
     * is returned: what the store holds once the collector is done. Throws {@link AssertionError} after {@code timeout}.
     */
    Walk awaitSettled(long from, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pass first = nextPass(from, left(deadline));
        long at = first == null ? from : first.end();
        while (first != null) {
            Pass p = nextPass(at, left(deadline));
            if (p == null) {
                break;
            }
            if (p.didNothing()) {
                // Its walk; or, for a pass that walked nothing because nothing changed since a pass that found
                // nothing to do, that pass's walk, which still describes the store.
                Walk w = lastWalkBefore(p.end());
                if (w != null && (w.end() > at || p.text().contains("nothing changed"))) {
                    return w;
                }
            }
            at = p.end();
        }
        throw new AssertionError("garbage collection did not settle (a pass that deletes and compacts nothing) within "
                + timeout.toSeconds() + " s; log " + file + ":\n" + ServerProcess.tail(file));
    }

    /** The step lines ({@code walked}, {@code deleted}, {@code compacted}) logged after {@code from}, in order. */
    List<String> stepsAfter(long from) throws IOException {
        List<String> steps = new ArrayList<>();
        for (Line l : linesFrom(from)) {
            Matcher m = step.matcher(l.text());
            if (m.find()) {
                steps.add(m.group(1));
            }
        }
        return steps;
    }

    /** Every pass summary of the log. */
    List<Pass> passes() throws IOException, InterruptedException {
        List<Pass> all = new ArrayList<>();
        for (Pass p = nextPass(0, Duration.ZERO); p != null; p = nextPass(p.end(), Duration.ZERO)) {
            all.add(p);
        }
        return all;
    }

    /** Every {@code gc pass failed} line of the log. */
    List<String> failures() throws IOException {
        List<String> lines = new ArrayList<>();
        for (Line l : linesFrom(0)) {
            if (failed.matcher(l.text()).find()) {
                lines.add(l.text());
            }
        }
        return lines;
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        watch.close();
    }

    private static Duration left(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private static Matcher find(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no match: " + text);
        }
        return m;
    }

    /** The first line after {@code from} that {@code p} finds, waiting up to {@code timeout}; null if none. */
    private Line next(long from, Pattern p, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long at = from;
        while (true) {
            for (Line l : linesFrom(at)) {
                if (p.matcher(l.text()).find()) {
                    return l;
                }
                at = l.end();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            WatchKey key = watch.poll(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, MAX_WAKEUP_MILLIS),
                    TimeUnit.MILLISECONDS);
            if (key != null) {
                key.pollEvents();
                key.reset();
            }
        }
    }

    /** The complete lines (ended by a newline) from offset {@code from} on. */
    /** The last walk line that ends at or before {@code end}, or null. */
    private Walk lastWalkBefore(long end) throws IOException {
        Walk last = null;
        for (Line l : linesFrom(0)) {
            if (l.end() > end) {
                break;
            }
            Matcher m = walk.matcher(l.text());
            if (m.find()) {
                last = new Walk(l.end(), Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
            }
        }
        return last;
    }

    private List<Line> linesFrom(long from) throws IOException {
        List<Line> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            return lines;
        }
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size <= from) {
                return lines;
            }
            ByteBuffer b = ByteBuffer.allocate((int) (size - from));
            while (b.hasRemaining() && ch.read(b, from + b.position()) > 0) {
                // read to the size seen
            }
            bytes = b.array();
        }
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                lines.add(new Line(from + i + 1, new String(bytes, start, i - start, StandardCharsets.UTF_8)));
                start = i + 1;
            }
        }
        return lines;
    }
}
