package dev.dinoj.dino.eval;

import dev.dinoj.dino.data.MultiCropAugmentation;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureExtractorTest {
    @Test
    void pixelFeaturesAreTheEvalTransformFlattenedInDatasetOrder() throws IOException {
        SyntheticShapes data = new SyntheticShapes(7, 21, 3); // 21 px: resized to 13 / 0.875 and centre-cropped
        Tensor f = FeatureExtractor.pixels(data, 13, 3, 2); // 3 does not divide 7: a short last batch
        assertThat(f.dims()).containsExactly(7, 3 * 13 * 13);
        for (int i = 0; i < 7; i++) {
            assertThat(f.select(0, i).toFloatArray()).as("image %d", i).containsExactly(MultiCropAugmentation.evalTransform(data.image(i), 13));
        }
        assertThatThrownBy(() -> FeatureExtractor.pixels(data, 0, 3, 1)).hasMessageContaining("size must be positive");
    }
}
