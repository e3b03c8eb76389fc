package dev.dinoj.dino.data;

import java.io.IOException;
import java.util.List;

/** A list of images with optional labels (-1 where a sample has none). */
public interface ImageDataset {
    int size();

    /** Decodes or renders image i. */
    Image image(int index) throws IOException;

    /** The class of image i, or -1 when unlabelled. */
    int label(int index);

    /** Class names by label; empty when the dataset has no labels. */
    List<String> classes();

    /** A name for image i (a file name, or a synthetic id). */
    String name(int index);

    /** Every image's label, in dataset order. */
    default int[] labels() {
        int[] l = new int[size()];
        for (int i = 0; i < l.length; i++) l[i] = label(i);
        return l;
    }

    default boolean isLabelled() {
        return !classes().isEmpty();
    }
}
