package io.hyperfile.cli.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs external commands (mkfs, mount, the hyperfile CLI...) to completion, with a time limit. */
final class Commands {
    private Commands() {
    }

    /** Exit code and combined stdout/stderr of a finished command. */
    record Result(List<String> command, int exitCode, String output) {
        Result orThrow() throws IOException {
            if (exitCode != 0) {
                throw new IOException(this.toString());
            }
            return this;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " exited " + exitCode + ":\n" + output;
        }
    }

    static Result run(long timeoutSeconds, Path workDir, List<String> command) throws IOException, InterruptedException {
        return run(timeoutSeconds, workDir, Map.of(), command);
    }

    static Result run(long timeoutSeconds, Path workDir, Map<String, String> env, List<String> command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().remove("HYPERFILE_STORE");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n"
                    + output.getNow("(no output)"));
        }
        return new Result(command, p.exitValue(), output.join());
    }

    static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(timeoutSeconds, null, List.of(command));
    }

    /** {@code hyperfile ARGS...} from the shaded jar. */
    static Result hyperfile(Path workDir, String... args) throws IOException, InterruptedException {
        return hyperfile(workDir, Map.of(), args);
    }

    static Result hyperfile(Path workDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(120, workDir, env, ServerProcess.command(args));
    }

    /** Whether {@code name} is an executable on the PATH (or an absolute path to one). */
    static boolean onPath(String name) {
        if (name.contains("/")) {
            return Files.isExecutable(Path.of(name));
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** The names in {@code names} that are not on the PATH. */
    static List<String> missing(String... names) {
        List<String> missing = new ArrayList<>();
        for (String n : names) {
            if (!onPath(n)) {
                missing.add(n);
            }
        }
        return missing;
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }
}
