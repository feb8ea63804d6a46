package org.fssd.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses untrusted XML files with every DTD and entity feature off: a document with a {@code
 * <!DOCTYPE>} is rejected outright (so external entities, XXE and "billion laughs" entity expansion
 * never run), external DTDs and schemas are not loaded, XInclude is off and entity references are
 * not expanded; secure processing limits are on. Errors become {@link DatasetFormatException}s
 * naming the file and line.
 *
 * <p>Thread-safe: a new parser is made per call (parsers are not thread-safe).
 */
final class SafeXml {
  private static final long MAX_BYTES = 16L << 20;

  private SafeXml() {}

  static DocumentBuilderFactory factory() {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    try {
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the XML parser does not support secure processing", e);
    }
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    f.setXIncludeAware(false);
    f.setExpandEntityReferences(false);
    f.setNamespaceAware(false);
    f.setValidating(false);
    return f;
  }

  /**
   * Parses {@code file}.
   *
   * @throws DatasetFormatException naming the file (and line) when it is missing, too large (over
   *     16 MiB), not well-formed, or declares a DOCTYPE
   */
  static Document parse(Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new DatasetFormatException(
            "annotation " + file + ": " + size + " bytes, more than the limit of " + MAX_BYTES);
      }
      DocumentBuilder b = factory().newDocumentBuilder();
      b.setErrorHandler(SILENT);
      b.setEntityResolver(
          (publicId, systemId) -> {
            throw new SAXException("external entity " + systemId + " refused");
          });
      try (InputStream in = Files.newInputStream(file)) {
        return b.parse(in, file.toUri().toString());
      }
    } catch (SAXParseException e) {
      String why = e.getMessage();
      if (why != null && why.contains("DOCTYPE")) {
        why =
            "DOCTYPE declarations are not allowed (DTDs and entities are refused for safety): "
                + why;
      }
      throw new DatasetFormatException(
          "annotation " + file + ", line " + e.getLineNumber() + ": malformed XML: " + why, e);
    } catch (SAXException e) {
      throw new DatasetFormatException(
          "annotation " + file + ": malformed XML: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new DatasetFormatException("annotation " + file + ": cannot read: " + e, e);
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final ErrorHandler SILENT =
      new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) throws SAXException {
          throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
          throw e;
        }
      };
}
