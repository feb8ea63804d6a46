package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;
import static org.fssd.Checks.atLeast;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Objects;

/**
 * Class names of a detector, indexed by the network's class index. Index 0 is always the background
 * class ({@code "background"}), which is never reported; object classes are 1..C-1.
 *
 * <p>Immutable and thread-safe. Presets: {@link #voc()} (20 PASCAL VOC classes, SPEC §10 order) and
 * {@link #coco()} (80 COCO classes in ascending category-id order).
 */
public final class Labels {
  /** Name of class index 0. */
  public static final String BACKGROUND = "background";

  private static final ImmutableList<String> VOC =
      ImmutableList.of(
          "aeroplane",
          "bicycle",
          "bird",
          "boat",
          "bottle",
          "bus",
          "car",
          "cat",
          "chair",
          "cow",
          "diningtable",
          "dog",
          "horse",
          "motorbike",
          "person",
          "pottedplant",
          "sheep",
          "sofa",
          "train",
          "tvmonitor");

  private static final ImmutableList<String> COCO =
      ImmutableList.of(
          "person",
          "bicycle",
          "car",
          "motorcycle",
          "airplane",
          "bus",
          "train",
          "truck",
          "boat",
          "traffic light",
          "fire hydrant",
          "stop sign",
          "parking meter",
          "bench",
          "bird",
          "cat",
          "dog",
          "horse",
          "sheep",
          "cow",
          "elephant",
          "bear",
          "zebra",
          "giraffe",
          "backpack",
          "umbrella",
          "handbag",
          "tie",
          "suitcase",
          "frisbee",
          "skis",
          "snowboard",
          "sports ball",
          "kite",
          "baseball bat",
          "baseball glove",
          "skateboard",
          "surfboard",
          "tennis racket",
          "bottle",
          "wine glass",
          "cup",
          "fork",
          "knife",
          "spoon",
          "bowl",
          "banana",
          "apple",
          "sandwich",
          "orange",
          "broccoli",
          "carrot",
          "hot dog",
          "pizza",
          "donut",
          "cake",
          "chair",
          "couch",
          "potted plant",
          "bed",
          "dining table",
          "toilet",
          "tv",
          "laptop",
          "mouse",
          "remote",
          "keyboard",
          "cell phone",
          "microwave",
          "oven",
          "toaster",
          "sink",
          "refrigerator",
          "book",
          "clock",
          "vase",
          "scissors",
          "teddy bear",
          "hair drier",
          "toothbrush");

  private final ImmutableList<String> names; // index 0 = background

  private Labels(List<String> objectClasses) {
    checkArgument(!objectClasses.isEmpty(), "at least one object class is needed");
    ImmutableList.Builder<String> b = ImmutableList.builder();
    b.add(BACKGROUND);
    for (int i = 0; i < objectClasses.size(); i++) {
      String n = objectClasses.get(i);
      checkArgument(n != null && !n.isBlank(), "class name %s is null or blank", i + 1);
      b.add(n);
    }
    this.names = b.build();
    checkArgument(
        names.stream().distinct().count() == names.size(),
        "class names must be unique (and none may be '%s'): %s",
        BACKGROUND,
        objectClasses);
  }

  /** Labels for the given object classes, which become indices 1..n in this order. */
  public static Labels of(List<String> objectClasses) {
    return new Labels(Objects.requireNonNull(objectClasses, "objectClasses"));
  }

  /** Labels for the given object classes, which become indices 1..n in this order. */
  public static Labels of(String... objectClasses) {
    return of(List.of(objectClasses));
  }

  /** The 20 PASCAL VOC classes (labels 1..20). */
  public static Labels voc() {
    return new Labels(VOC);
  }

  /** The 80 COCO classes in ascending category-id order (labels 1..80). */
  public static Labels coco() {
    return new Labels(COCO);
  }

  /** Generic names {@code class1..class(n)} for a model that carries no names. */
  public static Labels generic(int objectClasses) {
    atLeast("objectClasses", 1, objectClasses);
    ImmutableList.Builder<String> b = ImmutableList.builder();
    for (int i = 1; i <= objectClasses; i++) {
      b.add("class" + i);
    }
    return new Labels(b.build());
  }

  /** Number of classes including background (the network's C). */
  public int numClasses() {
    return names.size();
  }

  /** Name of a class index in 0..C-1; index 0 is {@link #BACKGROUND}. */
  public String name(int classIndex) {
    checkElementIndex(classIndex, names.size(), "classIndex");
    return names.get(classIndex);
  }

  /** Object class names (without background), in index order 1..C-1. */
  public List<String> objectClasses() {
    return names.subList(1, names.size());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Labels && ((Labels) o).names.equals(names);
  }

  @Override
  public int hashCode() {
    return names.hashCode();
  }

  @Override
  public String toString() {
    return "Labels" + objectClasses();
  }
}
