package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DetectorSettingsTest {
  private final ObjectMapper mapper = new ObjectMapper();

  private static DetectorSettings custom() {
    return DetectorSettings.builder()
        .scoreThreshold(0.55f)
        .nmsIouThreshold(0.6f)
        .perClassTopK(7)
        .maxDetections(13)
        .maxPixels(1234)
        .clipToImage(true)
        .replicas(3)
        .build();
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    DetectorSettings d = DetectorSettings.defaults();
    assertThat(d.scoreThreshold()).isEqualTo(0.3f);
    assertThat(d.nmsIouThreshold()).isEqualTo(0.45f);
    assertThat(d.perClassTopK()).isEqualTo(40);
    assertThat(d.maxDetections()).isEqualTo(200);
    assertThat(d.maxPixels()).isEqualTo(100_000_000L);
    assertThat(d.clipToImage()).isFalse();
    assertThat(d.replicas()).isEqualTo(1);
    assertThat(DetectorSettings.builder().build()).isEqualTo(d).hasSameHashCodeAs(d);
  }

  /**
   * Every setting out of its range is refused naming it and the value: the whole message where
   * {@code whole} is true, else a part of it.
   */
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "scoreThreshold  | 1    | true  | scoreThreshold must be in [0, 1), got 1.0",
        "scoreThreshold  | -0.1 | false | scoreThreshold",
        "scoreThreshold  | NaN  | false | got NaN",
        "nmsIouThreshold | 0    | true  | nmsIouThreshold must be in (0, 1], got 0.0",
        "nmsIouThreshold | 1.01 | false | nmsIouThreshold",
        "perClassTopK    | 0    | true  | perClassTopK must be >= 1, got 0",
        "maxDetections   | 0    | true  | maxDetections must be >= 1, got 0",
        "maxPixels       | 0    | true  | maxPixels must be >= 1, got 0",
        "replicas        | 0    | true  | replicas must be in [1, 64], got 0",
        "replicas        | 65   | false | got 65",
      })
  void everySettingIsRefusedOutsideItsRangeNamingItAndTheValue(
      String setting, String value, boolean whole, String message) {
    DetectorSettings.Builder b = DetectorSettings.builder();
    Runnable set =
        switch (setting) {
          case "scoreThreshold" -> () -> b.scoreThreshold(Float.parseFloat(value));
          case "nmsIouThreshold" -> () -> b.nmsIouThreshold(Float.parseFloat(value));
          case "perClassTopK" -> () -> b.perClassTopK(Integer.parseInt(value));
          case "maxDetections" -> () -> b.maxDetections(Integer.parseInt(value));
          case "maxPixels" -> () -> b.maxPixels(Long.parseLong(value));
          default -> () -> b.replicas(Integer.parseInt(value));
        };
    var refused = assertThatThrownBy(set::run).isInstanceOf(IllegalArgumentException.class);
    if (whole) {
      refused.hasMessage(message);
    } else {
      refused.hasMessageContaining(message);
    }
  }

  @Test
  void theEndsOfEveryRangeAreAllowed() {
    DetectorSettings ends =
        DetectorSettings.builder()
            .scoreThreshold(0f)
            .nmsIouThreshold(1f)
            .perClassTopK(1)
            .maxDetections(1)
            .maxPixels(1)
            .replicas(64)
            .build();
    assertThat(ends.replicas()).isEqualTo(64);
  }

  @Test
  void toBuilderKeepsEverythingAndEqualityCoversEverySetting() {
    DetectorSettings c = custom();
    assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
    assertThat(c.toBuilder().scoreThreshold(0.5f).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().nmsIouThreshold(0.5f).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().perClassTopK(8).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().maxDetections(14).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().maxPixels(1235).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().clipToImage(false).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().replicas(4).build()).isNotEqualTo(c);
    assertThat(c.toString())
        .contains(
            "scoreThreshold=0.55",
            "nmsIouThreshold=0.6",
            "perClassTopK=7",
            "maxDetections=13",
            "maxPixels=1234",
            "clipToImage=true",
            "replicas=3");
  }

  @Test
  void jsonRoundTripThroughJackson() throws Exception {
    DetectorSettings c = custom();
    String json = mapper.writeValueAsString(c);
    assertThat(json)
        .isEqualTo(
            "{\"scoreThreshold\":0.55,\"nmsIouThreshold\":0.6,\"perClassTopK\":7,"
                + "\"maxDetections\":13,\"maxPixels\":1234,\"clipToImage\":true,\"replicas\":3}");
    assertThat(mapper.readValue(json, DetectorSettings.class)).isEqualTo(c);
    assertThat(
            mapper.readValue(
                mapper.writeValueAsString(DetectorSettings.defaults()), DetectorSettings.class))
        .isEqualTo(DetectorSettings.defaults());
  }

  @Test
  void jsonMissingPropertiesTakeTheDefaults() throws Exception {
    DetectorSettings s = mapper.readValue("{\"maxDetections\": 5}", DetectorSettings.class);
    assertThat(s).isEqualTo(DetectorSettings.builder().maxDetections(5).build());
    assertThat(mapper.readValue("{}", DetectorSettings.class))
        .isEqualTo(DetectorSettings.defaults());
  }

  @Test
  void jsonOutOfRangeOrUnknownIsRefused() {
    assertThatThrownBy(() -> mapper.readValue("{\"scoreThreshold\": 1.5}", DetectorSettings.class))
        .isInstanceOf(JsonMappingException.class)
        .hasMessageContaining("scoreThreshold must be in [0, 1), got 1.5");
    assertThatThrownBy(() -> mapper.readValue("{\"maxPerImage\": 5}", DetectorSettings.class))
        .isInstanceOf(JsonMappingException.class)
        .hasMessageContaining("maxPerImage");
  }

  @Test
  void javaSerialisationRoundTrip() throws Exception {
    DetectorSettings c = custom();
    assertThat(deserialise(serialise(c))).isEqualTo(c);
  }

  @Test
  void javaSerialisationRefusesAStreamWithAValueOutOfRange() throws Exception {
    DetectorSettings c = custom();
    // Forge a stream: the same object with a field set past its range behind the builder's back.
    Field f = DetectorSettings.class.getDeclaredField("replicas");
    f.setAccessible(true);
    DetectorSettings forged = custom();
    f.setInt(forged, 0);
    byte[] bytes = serialise(forged);
    assertThatThrownBy(() -> deserialise(bytes))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageContaining("replicas must be in [1, 64], got 0");
    assertThat(deserialise(serialise(c))).isEqualTo(c);
  }

  private static byte[] serialise(Object o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  private static Object deserialise(byte[] b) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
      return in.readObject();
    }
  }
}
