package dev.dinoj.nn;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Saving and loading modules and composite training states as safetensors files. */
public final class Checkpoint {
    private Checkpoint() {}

    /** Writes a module's state dict atomically, with string metadata. */
    public static void save(Path path, Module module, Map<String, String> metadata) throws IOException {
        SafeTensors.write(path, module.stateDict(), metadata);
    }

    /** Loads a file written by {@link #save} (or by the Python ecosystem) into module; strict by default. */
    public static Map<String, String> load(Path path, Module module, boolean strict) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(path);
        try {
            module.loadStateDict(c.tensors(), strict);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
        return c.metadata();
    }

    /** The entries of map under "prefix." (e.g. "teacher." of a training checkpoint), with the prefix removed. */
    public static Map<String, Tensor> section(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String p = prefix.endsWith(".") ? prefix : prefix + ".";
        all.forEach((k, v) -> {
            if (k.startsWith(p)) out.put(k.substring(p.length()), v);
        });
        return out;
    }

    /** The map with every key prefixed by "prefix.". */
    public static Map<String, Tensor> prefixed(String prefix, Map<String, Tensor> map) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String p = prefix.endsWith(".") ? prefix : prefix + ".";
        map.forEach((k, v) -> out.put(p + k, v));
        return out;
    }
}
