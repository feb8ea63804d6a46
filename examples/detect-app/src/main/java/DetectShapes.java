import java.nio.file.Path;
import java.util.List;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;

/**
 * The program of the README's "Use it from Java" section as an application: detects objects in
 * one image and prints one line per detection on standard output, highest score first:
 * {@code label score Box[x1, y1, x2, y2]} (pixels of the image, full float precision). Arguments:
 * the image (default {@code sample.png}) and a native model file (default
 * {@code models/demo-shapes.zip}), both relative to the working directory. Exit code 0, or 1 with
 * the library's message on standard error when the image or the model is refused.
 */
public class DetectShapes {
  public static void main(String[] args) {
    Path image = Path.of(args.length > 0 ? args[0] : "sample.png");
    Path model = Path.of(args.length > 1 ? args[1] : "models/demo-shapes.zip");
    try (FssdDetector detector = FssdDetector.builder()
        .model(model)              // native model file (./fssd import or FssdModel.save)
        .scoreThreshold(0.3f)      // default 0.3; evaluation uses 0.01
        .nmsIouThreshold(0.45f)
        .maxDetections(200)
        .replicas(2)               // network copies for concurrent callers
        .build()) {
      List<Detection> found = detector.detect(image); // also byte[], BufferedImage, BgrImage
      for (Detection d : found) {
        System.out.println(d.label() + " " + d.score() + " " + d.box());
      }
    } catch (org.fssd.FssdException e) {
      System.err.println("detect-app: " + e.getMessage());
      System.exit(1);
    }
  }
}
