package io.hyperfile.core.store.local;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conditional create holds between processes, and what a crash can leave behind is harmless. */
class LocalDirectoryCrossProcessTest {
    @TempDir
    Path dir;

    @Test
    void racingProcessesNeverBothWinACreate() throws Exception {
        int processes = 3;
        int rounds = 300;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> racers = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CreateRacer.class.getName(),
                    dir.toString(), "p" + i, String.valueOf(rounds)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            racers.add(p);
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            outputs.add(out);
        }
        for (BufferedReader out : outputs) {
            assertEquals("ready", out.readLine());
        }
        for (Process p : racers) {
            Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            w.write("go\n");
            w.flush();
        }
        Map<Integer, String> winners = new HashMap<>();
        for (int i = 0; i < processes; i++) {
            String line;
            while ((line = outputs.get(i).readLine()) != null && !line.equals("done")) {
                int round = Integer.parseInt(line.substring("won ".length()));
                String previous = winners.put(round, "p" + i);
                assertEquals(null, previous, "round " + round + " won by both " + previous + " and p" + i);
            }
            assertEquals("done", line);
            assertTrue(racers.get(i).waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, racers.get(i).exitValue());
        }
        assertEquals(rounds, winners.size(), "every key was won by exactly one process");
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir)) {
            for (var e : winners.entrySet()) {
                String content = new String(await(store.get("race/" + e.getKey(), ByteRange.all())).toByteArray(), StandardCharsets.UTF_8);
                assertEquals(e.getValue(), content, "round " + e.getKey());
            }
        }
    }

    @Test
    void leftoverTempFilesAreInvisibleAndNoTempFileOutlivesAPut() throws Exception {
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir)) {
            await(store.put("vol/seg/1", ByteBuffer.wrap(new byte[] {1})));
            await(store.create("vol/seg/2", ByteBuffer.wrap(new byte[] {2})));
            try (Stream<Path> files = Files.walk(dir)) {
                assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).toList());
            }
            // What a crash between writing and linking leaves behind:
            Files.write(dir.resolve("vol/seg/.tmp-crashed"), new byte[] {9});
            assertEquals(List.of("vol/seg/1", "vol/seg/2"),
                    await(store.listAll("vol/", null)).stream().map(ObjectInfo::key).toList());
            assertEquals(List.of("vol/seg/1", "vol/seg/2"),
                    await(store.listAll("", null)).stream().map(ObjectInfo::key).toList());
            assertTrue(Files.isRegularFile(dir.resolve("vol/seg/2")), "keys are plain files under the root");
        }
    }
}
