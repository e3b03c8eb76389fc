package dev.dinoj.dino.train;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --method simdino} on the trainer: its head and loss, its logged terms, and a resume that continues bit for bit. */
class SimDinoTrainingTest {
    @TempDir
    Path dir;

    private static TrainConfig tinySimDino() {
        TrainConfig c = TrainingTest.tiny();
        c.method = "simdino";
        return c;
    }

    @Test
    void aSimDinoRunLogsItsTermsAndResumesBitForBit() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (DinoTrainer t = new DinoTrainer(tinySimDino(), a, new PrintStream(text, true, StandardCharsets.UTF_8))) {
            DinoTrainer.Result r = t.run();
            assertThat(r.health).as("no softmax targets, no teacher health").isNull();
            assertThat(Double.isFinite(r.finalLoss)).isTrue();
            assertThat((double) t.student().parameterCount()).isCloseTo(tinySimDino().parameterEstimate(),
                    org.assertj.core.data.Percentage.withPercentage(5));
        }
        String log = text.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("SimDINO: ").contains("distance ").contains("coding rate ").doesNotContain("teacher entropy");
        try (DinoTrainer t = new DinoTrainer(tinySimDino(), b, TrainingTest.quiet())) {
            t.run(2);
        }
        try (DinoTrainer t = DinoTrainer.resume(b, TrainingTest.quiet())) {
            assertThat(t.config().method()).isEqualTo(TrainConfig.Method.SIMDINO);
            t.run();
        }
        SafeTensors.Contents ca = SafeTensors.read(a.resolve(DinoTrainer.CHECKPOINT)), cb = SafeTensors.read(b.resolve(DinoTrainer.CHECKPOINT));
        assertThat(ca.tensors()).containsKey("student.head.mlp.4.weight").doesNotContainKey("dino_loss.center");
        assertThat(ca.tensors().keySet()).noneMatch(k -> k.contains("last_layer"));
        assertThat(cb.tensors().keySet()).containsExactlyElementsOf(ca.tensors().keySet());
        TrainingTest.assertSameFloatBits(ca, cb);
        List<com.google.gson.JsonObject> records = MetricsLog.read(a.resolve(DinoTrainer.METRICS));
        com.google.gson.JsonObject step = records.stream().filter(o -> o.get("type").getAsString().equals("step")).findFirst().orElseThrow();
        assertThat(step.has("distance") && step.has("coding_rate") && step.has("gamma")).isTrue();
        assertThat(step.has("teacher_entropy") || step.has("teacher_temp")).isFalse();
        // loss = distance - gamma * coding rate, as logged
        double loss = step.get("loss").getAsDouble(), d = step.get("distance").getAsDouble(), r = step.get("coding_rate").getAsDouble();
        assertThat(loss).isCloseTo(d - step.get("gamma").getAsDouble() * r, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void badMethodSettingsAreRefusedByOptionName() {
        TrainConfig c = tinySimDino();
        c.method = "cpc";
        assertThatThrownBy(c::validate).hasMessageContaining("--method must be dino, dinov2, simdino, simdinov2, byol");
        TrainConfig g = tinySimDino();
        g.codingRateGamma = "-1";
        assertThatThrownBy(g::validate).hasMessageContaining("--coding-rate-gamma");
        TrainConfig e = tinySimDino();
        e.codingRateEps = 0;
        assertThatThrownBy(e::validate).hasMessageContaining("--coding-rate-eps");
        TrainConfig of = tinySimDino();
        of.codingRateOf = "teacher";
        assertThatThrownBy(of::validate).hasMessageContaining("--coding-rate-of must be student or average");
        // a run saved before the option coded the student's features, and resumes doing so
        com.google.gson.JsonObject saved = com.google.gson.JsonParser.parseString(tinySimDino().toJson()).getAsJsonObject();
        assertThat(TrainConfig.fromJson(saved.toString()).codingRateOf).isEqualTo("average");
        saved.remove("codingRateOf");
        assertThat(TrainConfig.fromJson(saved.toString()).codingRateOf).isEqualTo("student");
        TrainConfig ok = tinySimDino();
        ok.codingRateGamma = "0.05";
        ok.validate();
        assertThat(ok.codingRateGammaValue()).isEqualTo(0.05);
    }
}
