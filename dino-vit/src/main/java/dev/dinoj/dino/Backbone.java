package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Module;

import java.util.Map;

/**
 * A network that turns images [B, 3, H, W] into one feature vector each, [B, embedDim]: what the methods
 * train and the evaluations read (a ViT's cls token after its final norm, a ResNet's pooled features).
 */
public abstract class Backbone extends Module {
    /** images [B, 3, H, W] to features [B, embedDim]. */
    @Override
    public abstract Variable forward(Variable images);

    /** The width of the features. */
    public abstract int embedDim();

    /** The side the evaluations resize images to (the training resolution). */
    public abstract int imageSize();

    /** What a saved backbone's metadata records to build the same network again (with its weights' names and shapes). */
    public abstract Map<String, String> describe();
}
