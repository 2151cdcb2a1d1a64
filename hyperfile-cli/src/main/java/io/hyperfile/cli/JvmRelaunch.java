package io.hyperfile.cli;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Puts {@code serve} under its {@link MemoryBudget} however it was started. A plain {@code java -jar hyperfile.jar
 * serve} gets the JVM's default limits (a quarter of the machine's memory for the heap, as much again for direct
 * memory), so before anything else runs, {@code serve} replaces its own process image ({@code execv(2)}) with the
 * same Java, class path, arguments and JVM flags plus the budget's heap and direct-memory limits and
 * {@code -XX:+ExitOnOutOfMemoryError}. The process keeps its PID, its environment, its standard streams and its
 * parent, so signals, {@code kill -9}, systemd and container runtimes see one process, as if it had been started
 * with those flags.
 *
 * <p>Nothing is replaced when the JVM already has a heap limit from whoever started it ({@code -Xmx},
 * {@code -XX:MaxRAM...}, {@code -XX:MaxRAMPercentage}, for example through {@code JAVA_TOOL_OPTIONS}): the operator
 * chose, and the budget then only sizes the write buffers. Nor when {@code HYPERFILE_NO_RELAUNCH} is set, or off
 * Linux, or when {@code execv} cannot be called (then serve says so in one line and runs on).
 */
final class JvmRelaunch {
    /** The system property that marks a relaunched JVM, so that it never relaunches again. */
    static final String MARKER = "hyperfile.memory.budget";

    private JvmRelaunch() {
    }

    /** Why this process runs as it is (empty if it was relaunched already), or null if it should be relaunched. */
    static String reasonToStay(List<String> jvmArgs, Map<String, String> env) {
        if (System.getProperty(MARKER) != null) {
            return "";
        }
        if (env.containsKey("HYPERFILE_NO_RELAUNCH")) {
            return "HYPERFILE_NO_RELAUNCH is set";
        }
        String tool = env.getOrDefault("JAVA_TOOL_OPTIONS", "") + " " + env.getOrDefault("JDK_JAVA_OPTIONS", "");
        for (String a : jvmArgs) {
            if (choosesHeap(a)) {
                return "the JVM was started with " + a;
            }
        }
        for (String a : tool.trim().split("\\s+")) {
            if (choosesHeap(a)) {
                return "the JVM was started with " + a;
            }
        }
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not on Linux";
        }
        return null;
    }

    private static boolean choosesHeap(String arg) {
        return arg.startsWith("-Xmx") || arg.startsWith("-XX:MaxHeapSize") || arg.startsWith("-XX:MaxRAM");
    }

    /** The command line of the relaunched JVM: this one's, with the budget's flags added. */
    static List<String> command(MemoryBudget budget, String javaHome, List<String> jvmArgs, String javaCommand,
            String classPath, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaHome + File.separator + "bin" + File.separator + "java");
        for (String a : jvmArgs) {
            // Flags the budget sets replace the same flags given before (MaxDirectMemorySize without -Xmx, say).
            if (!a.startsWith("-XX:MaxDirectMemorySize") && !a.startsWith("-D" + MARKER + "=")) {
                cmd.add(a);
            }
        }
        cmd.addAll(budget.jvmFlags());
        cmd.add("-D" + MARKER + "=" + budget.totalBytes());
        String first = javaCommand.split(" ", 2)[0];
        if (first.endsWith(".jar")) {
            cmd.add("-jar");
            cmd.add(first);
        } else {
            cmd.add("-cp");
            cmd.add(classPath);
            cmd.add(Hyperfile.class.getName());
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Replaces this process with a JVM under {@code budget}, or returns (with a line on stderr when it tried and
     * could not) if this process should run as it is.
     */
    static void enforce(MemoryBudget budget, String[] args) {
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        String stay = reasonToStay(jvmArgs, System.getenv());
        if (stay != null) {
            return;
        }
        List<String> cmd = command(budget, System.getProperty("java.home"), jvmArgs,
                System.getProperty("sun.java.command", ""), System.getProperty("java.class.path", ""), args);
        try {
            LibC libc = Native.load("c", LibC.class);
            closeOnExec(libc);
            // The JVM blocks some signals in its threads; the new program starts with none blocked.
            Memory none = new Memory(128);
            libc.sigemptyset(none);
            libc.pthread_sigmask(SIG_SETMASK, none, null);
            libc.execv(cmd.get(0), cmd.toArray(String[]::new));
            System.err.println("hyperfile: could not restart the JVM under the memory budget (execv failed, errno "
                    + Native.getLastError() + "); serving with the JVM's own limits");
        } catch (Throwable e) { // JNA missing or failing to load: run on, unbounded
            System.err.println("hyperfile: could not restart the JVM under the memory budget (" + Hyperfile.describe(e)
                    + "); serving with the JVM's own limits");
        }
    }

    /** Marks every descriptor above stderr close-on-exec, so the new JVM inherits only the standard streams. */
    private static void closeOnExec(LibC libc) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                int n = Integer.parseInt(fd.getFileName().toString());
                if (n > 2) {
                    libc.fcntl(n, F_SETFD, FD_CLOEXEC);
                }
            }
        }
    }

    private static final int SIG_SETMASK = 2;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;

    /** The C library calls used here (JNA, which Chronicle Map already brings). */
    interface LibC extends Library {
        int execv(String path, String[] argv);

        int fcntl(int fd, int cmd, int arg);

        int sigemptyset(Pointer set);

        int pthread_sigmask(int how, Pointer set, Pointer oldset);
    }
}
