package org.fssd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.fssd.ImageDecodeException;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionJson;
import org.fssd.detect.DetectorSettings;
import org.fssd.detect.FssdDetector;
import org.fssd.image.AnnotatedBox;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import org.fssd.serve.DetectorOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fssd detect}: detections for images as JSON — a list of {@code {"image", "width",
 * "height", "detections": [{"class", "label", "score", "box": [x1, y1, x2, y2]}]}}, boxes in pixels
 * of the original image, score-descending.
 *
 * <p>One bad image does not stop a batch: an image that cannot be read (missing, not an image,
 * truncated, corrupt, too large) gets the entry {@code {"image", "error"}} in the JSON and a line
 * on stderr, every other image is detected, and the exit code is {@value #EXIT_SOME_IMAGES_FAILED}
 * (the JSON is complete, one entry per image, in the order given). Without {@code --model} or
 * {@code --weights} the synthetic-shapes demo model is used, and stderr says so first.
 */
@Command(
    name = "detect",
    mixinStandardHelpOptions = true,
    description = {
      "Detect objects in images; print or write JSON, optionally annotated PNGs.",
      "Without --model/--weights the default model is the synthetic-shapes demo model "
          + DefaultModel.RELATIVE
          + ": it knows only the shapes of ./fssd sample-image (circle, square, "
          + "triangle, ellipse, cross, star), not real-world objects. For photos give a real model: "
          + "--model FILE.zip (./fssd import/train) or --weights FILE.pth --config voc300."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:every image was detected",
      "1:the command failed before detecting (bad model, options or output; message on stderr)",
      "2:usage error",
      DetectCommand.EXIT_SOME_IMAGES_FAILED
          + ":some images could not be read: each has an \"error\" entry in the "
          + "JSON and a line on stderr; all other images were detected"
    })
final class DetectCommand implements Callable<Integer> {
  /** Exit status when at least one image could not be read but the JSON covers every image. */
  static final int EXIT_SOME_IMAGES_FAILED = 3;

  @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
  ModelSource source;

  static final class ModelSource {
    @Option(
        names = "--model",
        description =
            "native model file (.zip); default: the synthetic-shapes demo model "
                + DefaultModel.RELATIVE
                + " (shapes only, not real objects)")
    Path model;

    @Option(names = "--weights", description = "PyTorch FSSD checkpoint (.pth); with --config")
    Path weights;
  }

  @picocli.CommandLine.Mixin ConfigOptions configOptions = new ConfigOptions();

  /**
   * The detection settings: the same options as fssd serve's (fssd-serve's {@link
   * DetectorOptions}).
   */
  @picocli.CommandLine.Mixin DetectorOptions detectorOptions = new DetectorOptions();

  @Option(names = "--json", description = "write the JSON here (default: standard output)")
  Path json;

  @Option(
      names = "--annotate",
      description = "write <image name>.png with labelled boxes into this folder")
  Path annotate;

  @Option(
      names = "--engine",
      defaultValue = "AUTO",
      description = "AUTO (oneDNN on CPU, else graph) | ONEDNN | GRAPH (default: ${DEFAULT-VALUE})")
  org.fssd.detect.Engine engine;

  @Option(names = "--verbose", description = "log at INFO level")
  boolean verbose;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files")
  List<Path> images;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // First: a setting out of range is a usage error, before any model is loaded.
    DetectorSettings settings = detectorOptions.settings(spec.commandLine());
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ArrayNode root = mapper.createArrayNode();
    int failed = 0;
    Annotator annotator = new Annotator();
    if (annotate != null) {
      Files.createDirectories(annotate);
    }
    FssdDetector.Builder builder = FssdDetector.builder();
    if (source == null) {
      // First on stderr, before anything else can print: results on a photo would otherwise look
      // like a broken detector ("square 0.41" on a face) rather than the wrong model.
      spec.commandLine().getErr().println(DefaultModel.NOTICE);
      spec.commandLine().getErr().flush();
      source = new ModelSource();
      source.model = DefaultModel.require();
    }
    if (source.model != null) {
      builder.model(source.model);
    } else {
      builder.model(
          () ->
              org.fssd.io.pytorch.PyTorchImporter.importModel(
                  source.weights, configOptions.toConfig()),
          source.weights.toString());
    }
    try (FssdDetector detector = builder.engine(engine).settings(settings).build()) {
      for (Path path : images) {
        // Only a problem with this image is confined to its entry; anything else (the model,
        // the engine, the annotation folder) still ends the command.
        BgrImage image;
        try {
          image = detector.imageLoader().load(path);
        } catch (ImageDecodeException e) {
          failed++;
          root.add(DetectionJson.error(path.toString(), e.getMessage()));
          spec.commandLine().getErr().println("fssd detect: " + e.getMessage());
          spec.commandLine().getErr().flush();
          continue;
        }
        try (image) {
          List<Detection> found = detector.detect(image);
          root.add(DetectionJson.image(path.toString(), image.width(), image.height(), found));
          if (annotate != null) {
            List<AnnotatedBox> boxes = found.stream().map(Detection::annotated).toList();
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
      spec.commandLine()
          .getOut()
          .println(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
      spec.commandLine().getOut().flush();
    }
    if (failed > 0) {
      spec.commandLine()
          .getErr()
          .println(
              "fssd detect: "
                  + failed
                  + " of "
                  + images.size()
                  + " images could not be read (see their \"error\" entries); exit status "
                  + EXIT_SOME_IMAGES_FAILED);
      spec.commandLine().getErr().flush();
      return EXIT_SOME_IMAGES_FAILED;
    }
    return 0;
  }
}
