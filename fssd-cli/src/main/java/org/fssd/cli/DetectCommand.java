package org.fssd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.AnnotatedBox;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code fssd detect}: detections for images as JSON — a list of {@code {"image", "width",
 * "height", "detections": [{"class", "label", "score", "box": [x1, y1, x2, y2]}]}}, boxes in
 * pixels of the original image, score-descending.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
    description = "Detect objects in images; print or write JSON, optionally annotated PNGs.")
final class DetectCommand implements Callable<Integer> {
  @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
  ModelSource source;

  static final class ModelSource {
    @Option(names = "--model", description = "native model file (.zip)")
    Path model;

    @Option(names = "--weights", description = "PyTorch FSSD checkpoint (.pth); with --config")
    Path weights;
  }

  @picocli.CommandLine.Mixin ConfigOptions configOptions = new ConfigOptions();

  @Option(names = "--threshold", defaultValue = "0.3", description = "score threshold, exclusive (default: ${DEFAULT-VALUE})")
  float threshold;

  @Option(names = "--nms", defaultValue = "0.45", description = "NMS IoU threshold (default: ${DEFAULT-VALUE})")
  float nms;

  @Option(names = "--max", defaultValue = "200", description = "detections per image (default: ${DEFAULT-VALUE})")
  int max;

  @Option(names = "--json", description = "write the JSON here (default: standard output)")
  Path json;

  @Option(names = "--annotate", description = "write <image name>.png with labelled boxes into this folder")
  Path annotate;

  @Option(names = "--engine", defaultValue = "AUTO",
      description = "AUTO (oneDNN on CPU, else graph) | ONEDNN | GRAPH (default: ${DEFAULT-VALUE})")
  org.fssd.detect.Engine engine;

  @Option(names = "--verbose", description = "log at INFO level")
  boolean verbose;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files")
  List<Path> images;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ArrayNode root = mapper.createArrayNode();
    Annotator annotator = new Annotator();
    if (annotate != null) {
      Files.createDirectories(annotate);
    }
    FssdDetector.Builder builder = FssdDetector.builder();
    if (source == null) {
      source = new ModelSource();
      source.model = DefaultModel.require();
    }
    if (source.model != null) {
      builder.model(source.model);
    } else {
      builder.model(() -> org.fssd.io.pytorch.PyTorchImporter.importModel(source.weights, configOptions.toConfig()),
          source.weights.toString());
    }
    try (FssdDetector detector = builder.engine(engine).scoreThreshold(threshold)
        .nmsIouThreshold(nms).maxDetections(max).build()) {
      for (Path path : images) {
        try (BgrImage image = detector.imageLoader().load(path)) {
          List<Detection> found = detector.detect(image);
          root.add(toJson(mapper, path, image, found));
          if (annotate != null) {
            List<AnnotatedBox> boxes = new ArrayList<>();
            for (Detection d : found) {
              boxes.add(new AnnotatedBox(d.box().x1(), d.box().y1(), Math.max(d.box().x1(), d.box().x2()),
                  Math.max(d.box().y1(), d.box().y2()), d.classIndex(),
                  String.format(java.util.Locale.ROOT, "%s %.2f", d.label(), d.score())));
            }
            String name = path.getFileName().toString().replaceFirst("\\.[^.]*$", "") + ".png";
            annotator.writeAnnotatedPng(image, boxes, annotate.resolve(name));
          }
        }
      }
    }
    byte[] bytes = mapper.writeValueAsBytes(root);
    if (json != null) {
      org.fssd.io.AtomicFiles.write(json, bytes);
    } else {
      spec.commandLine().getOut().println(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  static ObjectNode toJson(ObjectMapper mapper, Path path, BgrImage image, List<Detection> found) {
    ObjectNode o = mapper.createObjectNode();
    o.put("image", path.toString());
    o.put("width", image.width());
    o.put("height", image.height());
    ArrayNode dets = o.putArray("detections");
    for (Detection d : found) {
      ObjectNode j = dets.addObject();
      j.put("class", d.classIndex());
      j.put("label", d.label());
      j.put("score", d.score());
      ArrayNode box = j.putArray("box");
      box.add(d.box().x1()).add(d.box().y1()).add(d.box().x2()).add(d.box().y2());
    }
    return o;
  }
}
