package io.hyperfile.cli;

import io.hyperfile.core.diff.CheckpointDiff;
import io.hyperfile.core.index.ChangedRun;
import io.hyperfile.core.store.ObjectStore;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile diff VOLUME@A VOLUME@B}: the byte ranges that changed from checkpoint A to checkpoint B, found
 * from the two index trees (shared subtrees skipped, so the cost follows the changes). Text: one
 * {@code OFFSET+LENGTH data|zero} line per run, then a {@code #} summary line; {@code --json}: one JSON object.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "List the byte ranges that changed between two checkpoints of a volume (VOLUME, VOLUME@SNAPSHOT,"
                + " VOLUME@seq:N, VOLUME@time:ISO).")
final class DiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "VOLUME@A")
    String from;
    @Parameters(index = "1", paramLabel = "VOLUME@B")
    String to;
    @Option(names = "--json", description = "Print one JSON object instead of text lines.")
    boolean json;

    @Override
    public Integer call() {
        try (ObjectStore s = store.open()) {
            DiffRefs refs = DiffRefs.resolve(s, store, from, to);
            CheckpointDiff.Result d = CheckpointDiff.between(s, refs.prefix(), refs.fromSeq(), refs.toSeq()).join();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(json(refs, d));
            } else {
                text(out, d);
            }
            out.flush();
        }
        return 0;
    }

    private static void text(PrintWriter out, CheckpointDiff.Result d) {
        long bs = d.blockSizeBytes();
        long data = 0;
        long zero = 0;
        for (ChangedRun r : d.changes().runs()) {
            long len = r.blockCount() * bs;
            out.println(r.startBlock() * bs + "+" + len + " " + (r.zero() ? "zero" : "data"));
            if (r.zero()) {
                zero += len;
            } else {
                data += len;
            }
        }
        out.println("# seq " + d.fromSeq() + " -> " + d.toSeq() + ": " + d.changes().runs().size() + " runs, "
                + Sizes.format(data) + " data, " + Sizes.format(zero) + " zero; " + d.changes().nodesRead()
                + " index nodes read");
    }

    static String json(DiffRefs refs, CheckpointDiff.Result d) {
        long bs = d.blockSizeBytes();
        StringBuilder sb = new StringBuilder();
        sb.append("{\"volume\":\"").append(refs.volume()).append("\",\"volumeId\":\"").append(d.volumeId())
                .append("\",\"from\":{\"ref\":\"").append(refs.from()).append("\",\"seq\":").append(d.fromSeq())
                .append(",\"sizeBytes\":").append(d.fromSizeBytes()).append("},\"to\":{\"ref\":\"").append(refs.to())
                .append("\",\"seq\":").append(d.toSeq()).append(",\"sizeBytes\":").append(d.toSizeBytes())
                .append("},\"blockSizeBytes\":").append(bs).append(",\"changedBytes\":")
                .append(d.changes().blockCount() * bs).append(",\"nodesRead\":").append(d.changes().nodesRead())
                .append(",\"runs\":[");
        boolean first = true;
        for (ChangedRun r : d.changes().runs()) {
            sb.append(first ? "" : ",").append("{\"offset\":").append(r.startBlock() * bs).append(",\"length\":")
                    .append(r.blockCount() * bs).append(",\"kind\":\"").append(r.zero() ? "zero" : "data").append("\"}");
            first = false;
        }
        return sb.append("]}").toString();
    }
}
