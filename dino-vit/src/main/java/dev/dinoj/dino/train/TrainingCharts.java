package dev.dinoj.dino.train;

import com.google.gson.JsonObject;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Drawn from the metrics log into one PNG: the loss curve; the k-NN accuracy per epoch beside the
 * raw-pixel baseline; the teacher's health per step (entropy of its targets and of their batch mean
 * against ln(out_dim), and the student-teacher KL).
 */
final class TrainingCharts {
    private static final int WIDTH = 800;

    private TrainingCharts() {}

    static void write(Path metrics, Path png) throws IOException {
        List<Double> it = new ArrayList<>(), loss = new ArrayList<>(), ep = new ArrayList<>(), top1 = new ArrayList<>();
        List<Double> hIt = new ArrayList<>(), entropy = new ArrayList<>(), marginal = new ArrayList<>(), kl = new ArrayList<>(), info = new ArrayList<>(), lnK = new ArrayList<>();
        double pixels = Double.NaN;
        for (JsonObject o : MetricsLog.read(metrics)) {
            String type = o.has("type") ? o.get("type").getAsString() : "";
            if (type.equals("step")) {
                double i = o.get("iteration").getAsDouble();
                it.add(i);
                loss.add(o.get("loss").getAsDouble());
                if (o.has("teacher_entropy")) {
                    hIt.add(i);
                    entropy.add(o.get("teacher_entropy").getAsDouble());
                    marginal.add(o.get("teacher_batch_mean_entropy").getAsDouble());
                    kl.add(o.get("kl_student_teacher").getAsDouble());
                    info.add(o.has("teacher_information") ? o.get("teacher_information").getAsDouble() : Double.NaN);
                    lnK.add(o.get("ln_out_dim").getAsDouble());
                }
            } else if (type.equals("knn")) {
                ep.add(o.get("epoch").getAsDouble());
                top1.add(100 * o.get("top1").getAsDouble());
            } else if (type.equals("knn_pixels")) {
                pixels = 100 * o.get("top1").getAsDouble();
            }
        }
        XYChart lossChart = new XYChartBuilder().width(WIDTH).height(300).title("DINO loss").xAxisTitle("iteration").yAxisTitle("loss").build();
        lossChart.getStyler().setLegendVisible(false);
        if (!it.isEmpty()) lossChart.addSeries("loss", it, loss).setMarker(SeriesMarkers.NONE);

        XYChart knnChart = new XYChartBuilder().width(WIDTH).height(300).title("k-NN top-1 accuracy, k = 20 (teacher backbone)")
                .xAxisTitle("epoch (0 = random initialisation)").yAxisTitle("top-1 %").build();
        if (!ep.isEmpty()) {
            knnChart.addSeries("teacher backbone", ep, top1);
            if (!Double.isNaN(pixels)) {
                double lastEpoch = ep.get(ep.size() - 1);
                knnChart.addSeries("raw pixels", List.of(0.0, Math.max(1.0, lastEpoch)), List.of(pixels, pixels)).setMarker(SeriesMarkers.NONE);
            }
        }

        XYChart healthChart = new XYChartBuilder().width(WIDTH).height(300).title("teacher health: collapse = entropy near ln K or batch-mean near 0")
                .xAxisTitle("iteration").yAxisTitle("nats").build();
        if (!hIt.isEmpty()) {
            healthChart.addSeries("teacher entropy", hIt, entropy).setMarker(SeriesMarkers.NONE);
            healthChart.addSeries("batch-mean entropy", hIt, marginal).setMarker(SeriesMarkers.NONE);
            healthChart.addSeries("information (batch-mean - teacher entropy)", hIt, info).setMarker(SeriesMarkers.NONE);
            healthChart.addSeries("KL(teacher || student)", hIt, kl).setMarker(SeriesMarkers.NONE);
            healthChart.addSeries("ln K", hIt, lnK).setMarker(SeriesMarkers.NONE);
        }
        List<BufferedImage> parts = List.of(BitmapEncoder.getBufferedImage(lossChart), BitmapEncoder.getBufferedImage(knnChart),
                BitmapEncoder.getBufferedImage(healthChart));
        int height = parts.stream().mapToInt(BufferedImage::getHeight).sum();
        BufferedImage all = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = all.createGraphics();
        int y = 0;
        for (BufferedImage p : parts) {
            g.drawImage(p, 0, y, null);
            y += p.getHeight();
        }
        g.dispose();
        dev.dinoj.dino.data.ImageFiles.writePng(all, png);
    }
}
