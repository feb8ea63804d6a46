package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a model's weights came from, recorded in every model file (Tribuo-style provenance): how it
 * was made ({@code source}: e.g. {@code init seed=7}, {@code pytorch import of X.pth sha256=...},
 * {@code train run ...}), when, by which fssd4j/Java/OS/architecture, plus free entries (training
 * run, pruning ratio, ...). Files written before provenance existed read as {@link #unknown()},
 * never as an empty or invented history.
 *
 * <p>Immutable; entries keep their insertion order.
 */
public final class Provenance {
  /** Value used for entries an old file did not record. */
  public static final String UNKNOWN = "unknown";

  private final ImmutableMap<String, String> entries;

  private Provenance(Map<String, String> entries) {
    this.entries = ImmutableMap.copyOf(entries);
  }

  /** Provenance for a model made now by {@code source}, with the current library/JVM/OS facts. */
  public static Provenance of(String source) {
    Objects.requireNonNull(source, "source");
    Map<String, String> m = new LinkedHashMap<>();
    m.put("source", source);
    m.put("created", Instant.now().toString());
    m.put("fssd4j", version());
    m.put("java", System.getProperty("java.version", UNKNOWN));
    m.put("os", System.getProperty("os.name", UNKNOWN));
    m.put("arch", System.getProperty("os.arch", UNKNOWN));
    return new Provenance(m);
  }

  /** Provenance of a file that recorded none. */
  public static Provenance unknown() {
    return new Provenance(Map.of("source", UNKNOWN));
  }

  /** Provenance with exactly these entries (as read from a file). */
  public static Provenance fromMap(Map<String, String> entries) {
    Objects.requireNonNull(entries, "entries");
    checkArgument(!entries.isEmpty(), "provenance needs at least one entry");
    return new Provenance(entries);
  }

  /** A copy with one entry added or replaced. */
  public Provenance with(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Map<String, String> m = new LinkedHashMap<>(entries);
    m.put(key, value);
    return new Provenance(m);
  }

  /** The value of {@code key}, or {@link #UNKNOWN}. */
  public String get(String key) {
    return entries.getOrDefault(key, UNKNOWN);
  }

  public Map<String, String> asMap() {
    return entries;
  }

  /** The fssd4j version from the jar manifest, or "dev" when run from classes. */
  public static String version() {
    String v = Provenance.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Provenance && ((Provenance) o).entries.equals(entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "Provenance" + entries;
  }
}
