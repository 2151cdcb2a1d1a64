package io.hyperfile.cli.it;

import io.hyperfile.cli.it.FaultyS3Proxy.Fault;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one fault soak run did and found: requests and faults, restarts, NBD errors by command and code, hangs,
 * self-fences and lost or wrong blocks, plus the problems (failed checks) in the order they were seen.
 *
 * <p>Thread-safety: thread-safe (counters are atomic; the NBD client's reader thread and the driver both count).
 */
final class SoakFigures {
    final AtomicLong writesSent = new AtomicLong();
    final AtomicLong writesAcked = new AtomicLong();
    final AtomicLong flushesSent = new AtomicLong();
    final AtomicLong flushesAcked = new AtomicLong();
    /** Flushes acknowledged after one or more failed flushes in a row: each covered the writes before it. */
    final AtomicLong flushesAckedAfterFailure = new AtomicLong();
    final AtomicLong plannedKills = new AtomicLong();
    final AtomicLong restarts = new AtomicLong();
    final AtomicLong verifications = new AtomicLong();
    final AtomicLong serverStartFailures = new AtomicLong();
    final AtomicLong connectionsLost = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> hangs = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<String> hangDetails = new CopyOnWriteArrayList<>();
    volatile long writesVerified;
    volatile long selfFences;
    volatile long lostOrWrongBlocks;
    volatile Map<Fault, Long> faults = Map.of();
    volatile List<String> stalls = List.of();
    volatile long proxiedRequests;
    volatile long faultSeconds;

    /** An NBD error reply to {@code command} (WRITE, FLUSH, READ) with NBD error {@code code}. */
    void error(String command, int code) {
        errors.computeIfAbsent(command + " " + errorName(code), k -> new AtomicLong()).incrementAndGet();
    }

    /** A request unanswered for longer than the hang threshold. */
    void hang(String command, String detail) {
        hangs.computeIfAbsent(command, k -> new AtomicLong()).incrementAndGet();
        hangDetails.add(detail);
    }

    /** A failed check, with where and how to replay it. */
    void problem(String description) {
        problems.add(description);
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    long hangs() {
        return hangs.values().stream().mapToLong(AtomicLong::get).sum();
    }

    long errors(String command, int code) {
        AtomicLong n = errors.get(command + " " + errorName(code));
        return n == null ? 0 : n.get();
    }

    long errorsTotal() {
        return errors.values().stream().mapToLong(AtomicLong::get).sum();
    }

    static String errorName(int code) {
        return switch (code) {
            case 1 -> "EPERM";
            case 5 -> "EIO";
            case 12 -> "ENOMEM";
            case 22 -> "EINVAL";
            case 28 -> "ENOSPC";
            case 108 -> "ESHUTDOWN";
            default -> "error " + code;
        };
    }

    /** The figures, one per line, for the test log and failure messages. */
    String report(String title) {
        StringBuilder sb = new StringBuilder(title).append('\n');
        line(sb, "fault phase", faultSeconds + " s wall clock, " + proxiedRequests + " S3 requests through the proxy");
        line(sb, "faults injected", faults.toString());
        line(sb, "stalled answers", stalls.isEmpty() ? "none" : String.join("\n    ", stalls));
        line(sb, "kill -9", plannedKills + " planned; " + restarts + " restarts in all (after kills, hangs, fences,"
                + " lost connections); " + serverStartFailures + " failed starts; " + connectionsLost
                + " connections lost without a kill");
        line(sb, "writes", writesSent + " sent, " + writesAcked + " acknowledged");
        line(sb, "flushes", flushesSent + " sent, " + flushesAcked + " acknowledged (" + flushesAckedAfterFailure
                + " of them after failed flushes)");
        line(sb, "NBD errors", new TreeMap<>(toLongs(errors)).toString());
        line(sb, "writes verified", writesVerified + " (acknowledged before an acknowledged FLUSH, checked in "
                + verifications + " verifications)");
        line(sb, "self-fences", selfFences + " (servers whose log says '" + FaultSoak.FENCE_LINE + "')");
        line(sb, "hangs", hangs() + " " + new TreeMap<>(toLongs(hangs)) + (hangDetails.isEmpty() ? "" : " " + hangDetails));
        line(sb, "lost or wrong blocks", String.valueOf(lostOrWrongBlocks));
        line(sb, "problems", problems.isEmpty() ? "none" : String.join("\n    ", problems));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, String value) {
        sb.append(String.format("  %-22s %s%n", name + ":", value));
    }

    private static Map<String, Long> toLongs(Map<String, AtomicLong> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
