package dev.dinoj.nn;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End-to-end learning: a 2-block transformer classifies token sequences by their majority marker
 * token (4 classes, chance 25%, ln 4 = 1.386). The class can only reach the cls token through
 * attention.
 */
class TransformerLearnsTest {
    private static final int VOCAB = 8, LEN = 10, DIM = 32, CLASSES = 4;

    static final class TinyTransformer extends Module {
        final Linear embed;
        final Variable clsToken, posEmbed;
        final TransformerBlock b0, b1;
        final LayerNorm norm;
        final Linear head;

        TinyTransformer(Generator g) {
            embed = registerModule("embed", new Linear(VOCAB, DIM, false, g));
            clsToken = registerParameter("cls_token", Init.truncNormal(Tensor.empty(1, 1, DIM), 0.02f, g));
            posEmbed = registerParameter("pos_embed", Init.truncNormal(Tensor.empty(1, LEN + 1, DIM), 0.02f, g));
            b0 = registerModule("block0", new TransformerBlock(DIM, 2, 2f, true, 0f, 0f, 0f, 1e-6f, g));
            b1 = registerModule("block1", new TransformerBlock(DIM, 2, 2f, true, 0f, 0f, 0f, 1e-6f, g));
            norm = registerModule("norm", new LayerNorm(DIM, 1e-6f));
            head = registerModule("head", new Linear(DIM, CLASSES, true, g));
        }

        /** oneHot: [B, LEN, VOCAB] -> logits [B, CLASSES]. */
        @Override
        public Variable forward(Variable oneHot) {
            int b = oneHot.size(0);
            Variable tokens = embed.forward(oneHot);
            Variable x = Variable.cat(1, clsToken.expand(b, 1, DIM), tokens).add(posEmbed);
            x = b1.forward(b0.forward(x));
            return head.forward(norm.forward(x).select(1, 0));
        }
    }

    /** Sequences with 4 copies of the class token and 6 others, no other marker more than twice. */
    private static Tensor[] batch(Random r, int n) {
        float[] oneHot = new float[n * LEN * VOCAB];
        float[] labels = new float[n * CLASSES];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(CLASSES);
            int[] seq = new int[LEN];
            int[] count = new int[VOCAB];
            for (int k = 0; k < 4; k++) seq[k] = c;
            for (int k = 4; k < LEN; k++) {
                int t;
                do {
                    t = r.nextInt(VOCAB);
                } while (t == c || (t < CLASSES && count[t] >= 2));
                count[t]++;
                seq[k] = t;
            }
            for (int k = LEN - 1; k > 0; k--) {
                int j = r.nextInt(k + 1), tmp = seq[k];
                seq[k] = seq[j];
                seq[j] = tmp;
            }
            for (int k = 0; k < LEN; k++) oneHot[(i * LEN + k) * VOCAB + seq[k]] = 1f;
            labels[i * CLASSES + c] = 1f;
            ys[i] = c;
        }
        return new Tensor[] {Tensor.fromArray(oneHot, n, LEN, VOCAB), Tensor.fromArray(labels, n, CLASSES), Tensor.fromIndices(ys)};
    }

    @Test
    void lossFallsFarBelowChanceAndHeldOutAccuracyIsHigh() {
        Generator g = new Generator(2024);
        TinyTransformer model = new TinyTransformer(g);
        AdamW opt = new AdamW(ParamGroup.decayAndNoDecay(model.namedParameters(), 3e-3, 0.01));
        Schedule lr = Schedule.warmupCosine(3e-3, 1e-4, 1, 400, 0, 0);
        Random data = new Random(7);
        float firstLoss = Float.NaN, lastLoss = Float.NaN;
        for (int step = 0; step < 400; step++) {
            for (ParamGroup pg : opt.groups()) pg.setLr(lr.at(step));
            Tensor[] b = batch(data, 64);
            Variable logits = model.forward(Variable.constant(b[0]));
            Variable loss = logits.logSoftmax().mul(Variable.constant(b[1])).sum(-1, false).mean().neg();
            opt.zeroGrad();
            loss.backward();
            GradClip.globalNorm(model.parameters(), 1.0);
            opt.step();
            if (step == 0) firstLoss = loss.item();
            if (step >= 390) lastLoss = Float.isNaN(lastLoss) ? loss.item() : Math.min(lastLoss, loss.item());
        }
        model.eval();
        Tensor[] test = batch(new Random(99), 512);
        float accuracy;
        try (GradMode.Scope s = GradMode.disabled()) {
            int[] pred = model.forward(Variable.constant(test[0])).data().argmax(-1, false).toIntArray();
            int[] truth = test[2].toIntArray();
            accuracy = (float) java.util.stream.IntStream.range(0, pred.length).filter(i -> pred[i] == truth[i]).count() / pred.length;
        }
        assertThat(firstLoss).isGreaterThan(1.2f);
        assertThat(lastLoss).as("training loss at the end (chance is 1.386)").isLessThan(0.25f);
        assertThat(accuracy).as("held-out accuracy (chance 0.25)").isGreaterThan(0.9f);
        assertThat(Arrays.asList(model.namedParameters().keySet().toArray())).contains("block1.attn.qkv.weight");
    }
}
