package org.fssd.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * fssd-bom has no parent (importing it must not manage a user's third-party versions), so nothing
 * in Maven keeps it in step with the reactor: this test does. Every published module of the reactor
 * is in the BOM, at the parent's version, and the BOM names nothing else.
 */
class FssdBomTest {

  /** Reactor modules that are not published libraries: the BOM itself and the benchmarks. */
  private static final List<String> NOT_IN_BOM = List.of("fssd-bom", "fssd-benchmarks");

  @Test
  void theBomListsEveryPublishedModuleAtTheParentsVersion() throws Exception {
    Path root = locateRoot();
    Element parent = parse(root.resolve("pom.xml"));
    Element bom = parse(root.resolve("fssd-bom/pom.xml"));

    assertThat(bom.getElementsByTagName("parent").getLength())
        .as("fssd-bom has no parent")
        .isZero();
    assertThat(child(bom, "groupId")).isEqualTo(child(parent, "groupId"));
    assertThat(child(bom, "version")).as("fssd-bom's version").isEqualTo(child(parent, "version"));

    List<String> published = new ArrayList<>();
    NodeList modules = parent.getElementsByTagName("module");
    for (int i = 0; i < modules.getLength(); i++) {
      String m = modules.item(i).getTextContent().trim();
      if (!NOT_IN_BOM.contains(m)) {
        published.add(m);
      }
    }
    assertThat(published).as("reactor modules").contains("fssd-core");

    List<String> managed = new ArrayList<>();
    NodeList deps = bom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      assertThat(child(d, "groupId")).isEqualTo("org.fssd");
      assertThat(child(d, "version")).isEqualTo("${project.version}");
      managed.add(child(d, "artifactId"));
    }
    assertThat(managed).containsExactlyInAnyOrderElementsOf(published);
  }

  private static Element parse(Path pom) throws Exception {
    assertThat(pom).isRegularFile();
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = f.newDocumentBuilder().parse(pom.toFile());
    return doc.getDocumentElement();
  }

  /** The text of the direct child element {@code name} of {@code e}, or null. */
  private static String child(Element e, String name) {
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && ((Element) n).getTagName().equals(name)) {
        return n.getTextContent().trim();
      }
    }
    return null;
  }

  /** The repository root: the first folder upwards that holds fssd-bom/pom.xml. */
  private static Path locateRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isRegularFile(dir.resolve("fssd-bom/pom.xml"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("no fssd-bom/pom.xml above " + Path.of("").toAbsolutePath());
  }
}
