/**
 * Charts and run reports: pictures of training (loss, learning rate), evaluation (mAP per epoch,
 * precision-recall, AP per class) and pruning (BatchNorm |gamma| histogram, channels kept), and one
 * self-contained HTML page per run.
 *
 * <p>Entry classes, one per subject: {@link org.fssd.plots.TrainingCharts}, {@link
 * org.fssd.plots.EvaluationCharts} and {@link org.fssd.plots.PruningCharts} (one static method per
 * chart, each a pure function of arrays that writes one PNG atomically and returns the {@link
 * org.fssd.plots.ChartData} it drew), {@link org.fssd.plots.PlotStyle} (size, fonts, colours and
 * axis titles of every chart), {@link org.fssd.plots.RunReport} ({@code report.html} with the
 * pictures embedded). Callers pass plain arrays, never training or pruning types; the one thing
 * taken from fssd-train is {@link org.fssd.train.eval.ApMethod#interpolated}, so that the precision
 * envelope drawn is the one the AP integrates.
 *
 * <p>Thread safety: everything here is stateless or immutable. Rendering uses AWT off screen; run
 * with {@code -Djava.awt.headless=true} where there is no display.
 */
package org.fssd.plots;
