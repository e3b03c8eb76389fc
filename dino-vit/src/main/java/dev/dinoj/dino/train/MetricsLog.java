package dev.dinoj.dino.train;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.dinoj.tensor.io.AtomicFiles;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Training metrics as JSON lines (one object per step and per epoch), flushed line by line. On resume,
 * lines from iterations after the checkpoint (a run that died mid-epoch) are dropped first, so the log
 * describes exactly the run that the checkpoints describe.
 */
final class MetricsLog implements AutoCloseable {
    private static final Gson GSON = new Gson();
    private final Path path;
    private final BufferedWriter out;

    MetricsLog(Path path, long resumeIteration) throws IOException {
        this.path = path;
        if (resumeIteration >= 0 && Files.exists(path)) {
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.has("iteration") && o.get("iteration").getAsLong() >= resumeIteration) continue;
                    keep.add(line);
                } catch (RuntimeException e) {
                    // a torn last line from a crash: drop it
                }
            }
            AtomicFiles.write(path, (String.join("\n", keep) + (keep.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
        } else if (resumeIteration < 0) {
            Files.deleteIfExists(path);
        }
        out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    void write(Map<String, ?> record) throws IOException {
        out.write(GSON.toJson(record));
        out.write('\n');
        out.flush();
    }

    /** All records of a metrics file. */
    static List<JsonObject> read(Path path) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        if (!Files.exists(path)) return out;
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            try {
                JsonElement e = JsonParser.parseString(line);
                if (e.isJsonObject()) out.add(e.getAsJsonObject());
            } catch (RuntimeException ignored) {
                // skip a torn line
            }
        }
        return out;
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
