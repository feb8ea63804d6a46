package org.fssd.plots;

import com.google.common.base.Preconditions;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The data behind one picture, as drawn: the chart title and, per series name (in drawing order),
 * its points as {@code {x[], y[]}}. For bar charts {@code x} is the bar's position (0, 1, …) and
 * {@link #categories()} names the bars in that order; for other charts it is empty.
 *
 * <p>The arrays are copies made for the caller (changing them changes nothing drawn); {@code
 * equals} compares the arrays by identity, as records do, so compare their contents in tests.
 *
 * @param title the chart title, as rendered
 * @param series series name to {@code {x, y}} arrays of equal length
 * @param categories bar names by position, or empty
 */
public record ChartData(String title, Map<String, double[][]> series, List<String> categories) {

  /** Checks the shape of every series and freezes the maps. */
  public ChartData {
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(series, "series");
    Objects.requireNonNull(categories, "categories");
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      double[][] xy = e.getValue();
      Preconditions.checkArgument(
          xy.length == 2 && xy[0].length == xy[1].length,
          "series %s must be {x[], y[]} of equal length",
          e.getKey());
    }
    series = Collections.unmodifiableMap(new LinkedHashMap<>(series));
    categories = List.copyOf(categories);
  }

  /** The {@code x} values of {@code name}; throws if there is no such series. */
  public double[] x(String name) {
    return get(name)[0];
  }

  /** The {@code y} values of {@code name}; throws if there is no such series. */
  public double[] y(String name) {
    return get(name)[1];
  }

  private double[][] get(String name) {
    double[][] xy = series.get(name);
    Preconditions.checkArgument(xy != null, "no series %s; have %s", name, series.keySet());
    return xy;
  }
}
