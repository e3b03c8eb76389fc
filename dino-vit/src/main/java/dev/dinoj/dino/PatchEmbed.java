package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.PatchConv2d;
import dev.dinoj.tensor.Generator;

/** Image to patch tokens: a conv with kernel = stride = patch ("proj", as the reference). */
public final class PatchEmbed extends Module {
    private final PatchConv2d proj;

    public PatchEmbed(int inChannels, int embedDim, int patch, Generator g) {
        this.proj = registerModule("proj", new PatchConv2d(inChannels, embedDim, patch, g));
    }

    /** [B, C, H, W] -> [B, (H/p)(W/p), D]. */
    @Override
    public Variable forward(Variable images) {
        return proj.forward(images);
    }
}
