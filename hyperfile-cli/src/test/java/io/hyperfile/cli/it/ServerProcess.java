package io.hyperfile.cli.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar hyperfile.jar serve ...} as a child process, on 127.0.0.1 and a port the kernel picks.
 * {@link #start} returns once the server has printed its {@code hyperfile: serving NAMES on HOST:PORT} line (which
 * it prints after it listens), so there is no waiting on timers. Its stderr (the log) goes to a file in the
 * working directory, one per start, named in failure messages.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("^hyperfile: serving (.*) on ([^ ]+):(\\d+)$");
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Process process;
    private final int port;
    private final Path log;
    /** Every line the server printed on stdout after its 'serving' line, in order. */
    private final BlockingQueue<String> stdout;

    private ServerProcess(Process process, int port, Path log, BlockingQueue<String> stdout) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.stdout = stdout;
    }

    /** The shaded jar built by {@code package}: failsafe passes its path as {@code hyperfile.jar}. */
    static Path jar() {
        String p = System.getProperty("hyperfile.jar", "target/hyperfile.jar");
        Path jar = Path.of(p).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": run the integration tests with 'mvn verify' (package builds it)");
        }
        return jar;
    }

    /** The command line of {@code hyperfile ARGS...}, with a small heap so that several JVMs fit on a CI machine. */
    static List<String> command(String... args) {
        return command(List.of("-Xmx768m"), args);
    }

    /** The command line of {@code java JVM_ARGS... -jar hyperfile.jar ARGS...}. */
    static List<String> command(List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs {@code hyperfile serve --listen 127.0.0.1:0 ARGS...} in {@code workDir} with the given extra environment
     * and returns once it serves.
     */
    static ServerProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
        return start(workDir, env, List.of("-Xmx768m"), args);
    }

    /** As {@link #start(Path, Map, String...)}, with these JVM flags instead of the small heap. */
    static ServerProcess start(Path workDir, Map<String, String> env, List<String> jvmArgs, String... args) throws IOException {
        return startUnder(List.of(), workDir, env, jvmArgs, args);
    }

    /** As {@link #start(Path, Map, List, String...)}, run by {@code launcher} (e.g. {@code nohup}) in front of java. */
    static ServerProcess startUnder(List<String> launcher, Path workDir, Map<String, String> env, List<String> jvmArgs,
            String... args) throws IOException {
        List<String> serveArgs = new ArrayList<>(List.of("serve", "--listen", "127.0.0.1:0"));
        serveArgs.addAll(List.of(args));
        Path log = nextLogFile(workDir);
        List<String> command = new ArrayList<>(launcher);
        command.addAll(command(jvmArgs, serveArgs.toArray(String[]::new)));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectError(log.toFile());
        pb.environment().remove("HYPERFILE_STORE");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread stdout = new Thread(() -> drainStdout(p, port, lines), "hf-test-serve-stdout");
        stdout.setDaemon(true);
        stdout.start();
        try {
            return new ServerProcess(p, port.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS), log, lines);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IOException("hyperfile serve did not start (" + e.getMessage() + "); log " + log + ":\n" + tail(log), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void drainStdout(Process p, CompletableFuture<Integer> port, BlockingQueue<String> lines) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = SERVING.matcher(line);
                if (m.matches()) {
                    port.complete(Integer.parseInt(m.group(3)));
                } else if (port.isDone()) {
                    lines.add(line);
                }
            }
            port.completeExceptionally(new IOException("stdout closed before the 'serving' line"));
        } catch (IOException e) {
            port.completeExceptionally(e);
        }
    }

    private static Path nextLogFile(Path workDir) {
        for (int i = 1; ; i++) {
            Path p = workDir.resolve("serve-" + i + ".log");
            if (!Files.exists(p)) {
                return p;
            }
        }
    }

    int port() {
        return port;
    }

    /**
     * The next line the server prints on stdout that starts with {@code prefix} (earlier lines are skipped); blocks
     * until it comes, and fails if it does not within {@code timeoutSeconds}.
     */
    String awaitStdout(String prefix, long timeoutSeconds) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            String line = stdout.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IOException("no line starting with '" + prefix + "' on stdout within " + timeoutSeconds + " s; log "
                        + log + ":\n" + tail(log));
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, without waiting. */
    void kill9() {
        process.destroyForcibly();
    }

    /** SIGKILL, then waits until the process is gone (its files are then as the kill left them). */
    void kill9AndWait() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM (a graceful stop) and its exit code. */
    int terminate(long timeoutSeconds) throws InterruptedException, IOException {
        process.destroy(); // SIGTERM on Linux
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("hyperfile serve did not stop within " + timeoutSeconds + " s of SIGTERM; log " + log
                    + ":\n" + tail(log));
        }
        return process.exitValue();
    }

    /** The last lines of the server's log, for failure messages. */
    String logTail() {
        return tail(log);
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Kills the process if it still runs (for finally blocks). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9AndWait();
        }
    }
}
