package dev.dinoj.dino.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A built-in labelled dataset, rendered on demand so that training, tests and the README demo need
 * no download: each image shows 3 to 6 light shapes of one class (circle, square, triangle, cross,
 * ring, star; the label), each at a random position, scale and rotation and in a random colour of its
 * own, over a darker textured background (a colour field drifting between four random corner colours,
 * a gradient and faint oriented stripes) with Gaussian pixel noise, anti-aliased by 4x4 supersampling.
 * Colours are random tints: a random grey level with each channel shifted by up to +-0.1. With fully
 * random colours, DINO learned the colours first (they are what two crops of one image share most,
 * and colour jitter does not remove them), and k-NN accuracy on the shape class stayed at its random-
 * initialisation level in short runs; with tints the shape is the strongest shared cue and the class
 * is learned (benchmarks/RESULTS.md, 2026-11-23).
 * Light-on-dark keeps the shapes' edges of one polarity, which a linear patch embedding can pick up
 * (in a supervised check a small ViT learned the classes markedly faster than with random polarity).
 * Several small shapes rather than one big one put the class in most crops, local ones included.
 * Image i depends only on (seed, i).
 */
public final class SyntheticShapes implements ImageDataset {
    private static final List<String> CLASSES = List.of("circle", "square", "triangle", "cross", "ring", "star");
    private static final double[][] TRIANGLE = regularPolygon(3, 1.0, 0);
    private static final double[][] STAR = star(5, 1.0, 0.45);

    private static final int MIN_SHAPES = 3, MAX_SHAPES = 6;
    private static final double TINT = 0.1;
    /** Shape radius as a fraction of the image side. */
    private static final double MIN_RADIUS = 0.09, MAX_RADIUS = 0.16;
    private final int count, size;
    private final long seed;

    public SyntheticShapes(int count, int size, long seed) {
        if (count <= 0) throw new IllegalArgumentException("synthetic dataset: image count must be positive, got " + count);
        if (size < 8) throw new IllegalArgumentException("synthetic dataset: image size must be at least 8, got " + size);
        this.count = count;
        this.size = size;
        this.seed = seed;
    }

    public static int classCount() {
        return CLASSES.size();
    }

    @Override
    public int size() {
        return count;
    }

    public int imageSize() {
        return size;
    }

    @Override
    public int label(int index) {
        return index % CLASSES.size();
    }

    @Override
    public List<String> classes() {
        return CLASSES;
    }

    @Override
    public String name(int index) {
        return String.format("synthetic-%06d-%s.png", index, CLASSES.get(label(index)));
    }

    @Override
    public Image image(int index) {
        if (index < 0 || index >= count) throw new IllegalArgumentException("synthetic dataset: index " + index + " is outside [0, " + count + ")");
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
        int shape = label(index);
        // dark background whose colour drifts across the image (bilinear between four random corner
        // colours) and light shapes each in a colour of its own, so that colour varies between crops of
        // one image more than it would with one colour per image
        float[][] corner = new float[4][];
        for (int q = 0; q < 4; q++) corner[q] = tint(r, r.nextDouble(0.0, 0.3));
        double gradAngle = r.nextDouble(2 * Math.PI), gradAmp = r.nextDouble(0.0, 0.25);
        double stripeAngle = r.nextDouble(Math.PI), stripeFreq = r.nextDouble(0.3, 1.2), stripeAmp = r.nextDouble(0.01, 0.06);
        double stripePhase = r.nextDouble(2 * Math.PI);
        int count = MIN_SHAPES + r.nextInt(MAX_SHAPES - MIN_SHAPES + 1);
        double[] cx = new double[count], cy = new double[count], rad = new double[count], cos = new double[count], sin = new double[count];
        float[][] fg = new float[count][];
        for (int k = 0; k < count; k++) {
            rad[k] = size * r.nextDouble(MIN_RADIUS, MAX_RADIUS);
            cx[k] = r.nextDouble(rad[k], size - rad[k]);
            cy[k] = r.nextDouble(rad[k], size - rad[k]);
            double rot = r.nextDouble(2 * Math.PI);
            cos[k] = Math.cos(rot);
            sin[k] = Math.sin(rot);
            fg[k] = tint(r, r.nextDouble(0.7, 1.0));
        }
        float[] d = new float[3 * size * size];
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double u = (x - size / 2.0) / size, v = (y - size / 2.0) / size;
                double shade = gradAmp * (u * Math.cos(gradAngle) + v * Math.sin(gradAngle))
                        + stripeAmp * Math.sin(stripeFreq * (x * Math.cos(stripeAngle) + y * Math.sin(stripeAngle)) + stripePhase);
                int[] hits = new int[count];
                int inside = 0;
                for (int sy = 0; sy < 4; sy++) {
                    for (int sx = 0; sx < 4; sx++) {
                        for (int k = 0; k < count; k++) {
                            double px = x + (sx + 0.5) / 4 - cx[k], py = y + (sy + 0.5) / 4 - cy[k];
                            double lx = (cos[k] * px + sin[k] * py) / rad[k], ly = (-sin[k] * px + cos[k] * py) / rad[k];
                            if (inside(shape, lx, ly)) {
                                hits[k]++;
                                inside++;
                                break;
                            }
                        }
                    }
                }
                double fx = (x + 0.5) / size, fy = (y + 0.5) / size;
                for (int c = 0; c < 3; c++) {
                    double back = (1 - fy) * ((1 - fx) * corner[0][c] + fx * corner[1][c]) + fy * ((1 - fx) * corner[2][c] + fx * corner[3][c]) + shade;
                    double val = back * (16 - inside) / 16.0;
                    for (int k = 0; k < count; k++) val += fg[k][c] * hits[k] / 16.0;
                    val += 0.03 * gaussian(r);
                    d[c * plane + y * size + x] = (float) Math.max(0, Math.min(1, val));
                }
            }
        }
        return new Image(size, size, d);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Grey level g with each channel shifted by a uniform amount in [-TINT, TINT], clamped to [0, 1]. */
    private static float[] tint(SplittableRandom r, double g) {
        float[] c = new float[3];
        for (int i = 0; i < 3; i++) c[i] = (float) Math.max(0, Math.min(1, g + r.nextDouble(-TINT, TINT)));
        return c;
    }

    /** Whether the point (x, y), in units of the shape's radius around its centre, is inside the shape. */
    static boolean inside(int shape, double x, double y) {
        double r2 = x * x + y * y;
        switch (shape) {
            case 0: return r2 <= 1;
            case 1: return Math.abs(x) <= 0.8 && Math.abs(y) <= 0.8;
            case 2: return inPolygon(TRIANGLE, x, y);
            case 3: return (Math.abs(x) <= 0.3 && Math.abs(y) <= 1) || (Math.abs(y) <= 0.3 && Math.abs(x) <= 1);
            case 4: return r2 <= 1 && r2 >= 0.55 * 0.55;
            case 5: return inPolygon(STAR, x, y);
            default: throw new IllegalArgumentException("unknown shape " + shape);
        }
    }

    private static boolean inPolygon(double[][] poly, double x, double y) {
        boolean in = false;
        for (int i = 0, j = poly.length - 1; i < poly.length; j = i++) {
            double xi = poly[i][0], yi = poly[i][1], xj = poly[j][0], yj = poly[j][1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
        }
        return in;
    }

    private static double[][] regularPolygon(int n, double r, double phase) {
        double[][] p = new double[n][2];
        for (int i = 0; i < n; i++) {
            double a = phase + 2 * Math.PI * i / n - Math.PI / 2;
            p[i][0] = r * Math.cos(a);
            p[i][1] = r * Math.sin(a);
        }
        return p;
    }

    private static double[][] star(int points, double outer, double inner) {
        double[][] p = new double[2 * points][2];
        for (int i = 0; i < 2 * points; i++) {
            double a = Math.PI * i / points - Math.PI / 2, r = i % 2 == 0 ? outer : inner;
            p[i][0] = r * Math.cos(a);
            p[i][1] = r * Math.sin(a);
        }
        return p;
    }
}
