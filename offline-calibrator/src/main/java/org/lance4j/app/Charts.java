package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
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

    private static void style(Styler s) {
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
    }

    private static void write(Path out, Chart<?, ?> chart) throws IOException {
        AtomicFiles.write(out, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
