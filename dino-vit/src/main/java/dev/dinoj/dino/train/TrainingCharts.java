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

/** The loss curve and the k-NN accuracy per epoch, drawn from the metrics log into one PNG. */
final class TrainingCharts {
    private TrainingCharts() {}

    static void write(Path metrics, Path png) throws IOException {
        List<Double> it = new ArrayList<>(), loss = new ArrayList<>(), ep = new ArrayList<>(), top1 = new ArrayList<>();
        for (JsonObject o : MetricsLog.read(metrics)) {
            String type = o.has("type") ? o.get("type").getAsString() : "";
            if (type.equals("step")) {
                it.add(o.get("iteration").getAsDouble());
                loss.add(o.get("loss").getAsDouble());
            } else if (type.equals("knn")) {
                ep.add(o.get("epoch").getAsDouble());
                top1.add(100 * o.get("top1").getAsDouble());
            }
        }
        XYChart lossChart = new XYChartBuilder().width(800).height(360).title("DINO loss").xAxisTitle("iteration").yAxisTitle("loss").build();
        lossChart.getStyler().setLegendVisible(false);
        if (!it.isEmpty()) lossChart.addSeries("loss", it, loss).setMarker(SeriesMarkers.NONE);
        XYChart knnChart = new XYChartBuilder().width(800).height(300).title("k-NN top-1 accuracy (teacher backbone)")
                .xAxisTitle("epoch (0 = random initialisation)").yAxisTitle("top-1 %").build();
        knnChart.getStyler().setLegendVisible(false);
        if (!ep.isEmpty()) knnChart.addSeries("top-1", ep, top1);
        BufferedImage a = BitmapEncoder.getBufferedImage(lossChart), b = BitmapEncoder.getBufferedImage(knnChart);
        BufferedImage both = new BufferedImage(800, a.getHeight() + b.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = both.createGraphics();
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, 0, a.getHeight(), null);
        g.dispose();
        dev.dinoj.dino.data.ImageFiles.writePng(both, png);
    }
}
