package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** PNG charts of experiments and benchmarks (XChart, headless), each written atomically. */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One named series of (x, y) points. */
    public record Series(String name, double[] x, double[] y) { }

    private Charts() { }

    /** Lines with markers, one per series; optionally a logarithmic x axis. */
    public static void lines(Path out, String title, String xTitle, String yTitle, List<Series> series, boolean logX) throws IOException {
        XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(logX);
        for (Series s : series) c.addSeries(s.name(), s.x(), s.y());
        write(out, c);
    }

    /** Points only (no lines), one colour per series; optionally a logarithmic x axis. */
    public static void scatter(Path out, String title, String xTitle, String yTitle, List<Series> series, boolean logX) throws IOException {
        XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(10);
        c.getStyler().setXAxisLogarithmic(logX);
        for (Series s : series) c.addSeries(s.name(), s.x(), s.y());
        write(out, c);
    }

    /** Stacked bars: categories on x, one stacked part per entry of {@code parts} (values per category). */
    public static void stackedBars(Path out, String title, String yTitle, List<String> categories, Map<String, double[]> parts) throws IOException {
        CategoryChart c = new CategoryChartBuilder().width(Math.max(900, 70 * categories.size())).height(560).title(title)
                .yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setStacked(true);
        c.getStyler().setXAxisLabelRotation(45);
        for (Map.Entry<String, double[]> e : parts.entrySet()) {
            List<Double> ys = new java.util.ArrayList<>();
            for (double v : e.getValue()) ys.add(v);
            c.addSeries(e.getKey(), categories, ys);
        }
        write(out, c);
    }

    /**
     * A heat map of a matrix (rows × columns, NaN cells left empty) with the values written in the cells:
     * the accuracy matrix of continual learning (row = after training task t, column = task i).
     */
    public static void heatMap(Path out, String title, String xTitle, String yTitle, List<String> columns, List<String> rows, double[][] values,
                               double min, double max) throws IOException {
        HeatMapChart c = new HeatMapChartBuilder().width(Math.max(520, 90 * columns.size() + 220)).height(Math.max(420, 70 * rows.size() + 160))
                .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setShowValue(true);
        c.getStyler().setMin(min);
        c.getStyler().setMax(max);
        c.getStyler().setHeatMapValueDecimalPattern("0.0");
        c.getStyler().setRangeColors(new java.awt.Color[] {new java.awt.Color(0xd7191c), new java.awt.Color(0xfdae61), new java.awt.Color(0xffffbf),
                new java.awt.Color(0xa6d96a), new java.awt.Color(0x1a9641)});
        // XChart draws the first row at the bottom; reversed, the matrix reads top-down as in the tables
        List<Number[]> cells = new java.util.ArrayList<>();
        int n = values.length;
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < values[r].length; k++) if (!Double.isNaN(values[r][k])) cells.add(new Number[] {k, n - 1 - r, values[r][k]});
        }
        List<String> down = new java.util.ArrayList<>(rows);
        java.util.Collections.reverse(down);
        c.addSeries("accuracy", columns, down, cells);
        write(out, c);
    }

    private static void style(Styler s) {
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
    }

    private static void write(Path out, Chart<?, ?> chart) throws IOException {
        AtomicFiles.write(out, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
