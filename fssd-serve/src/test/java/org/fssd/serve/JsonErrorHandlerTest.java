package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonErrorHandler} on a bare Jetty server whose servlet fails in the ways the service's own
 * handlers never do (they answer every error themselves): {@code sendError} without a body, an
 * exception escaping the servlet, a 503. The FssdServer tests cover the refusals of Jetty's parser.
 */
class JsonErrorHandlerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<Integer> ANSWERED = new ArrayList<>();
  private static Server jetty;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    JsonErrorHandler errors =
        new JsonErrorHandler(
            status -> {
              synchronized (ANSWERED) {
                ANSWERED.add(status);
              }
            });
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void service(HttpServletRequest req, HttpServletResponse resp)
                  throws IOException {
                switch (req.getRequestURI()) {
                  case "/teapot" -> resp.sendError(418, "short and stout");
                  case "/busy" -> resp.sendError(503);
                  case "/writer" -> {
                    resp.getWriter().print("<html>half a page");
                    resp.sendError(400, "changed its mind");
                  }
                  default -> throw new IllegalStateException("secret internals");
                }
              }
            }),
        "/*");
    context.setErrorHandler(errors);
    jetty.setErrorHandler(errors);
    jetty.setHandler(context);
    jetty.start();
    port = connector.getLocalPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (jetty != null) {
      jetty.stop();
    }
  }

  private static JsonNode assertJson(RawHttp.Answer a, int status, String code) throws IOException {
    assertThat(a.status()).as(a.toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).as(a.toString()).startsWith("application/json");
    JsonNode j = MAPPER.readTree(a.body());
    assertThat(j.get("error").asText()).isEqualTo(code);
    return j;
  }

  private static RawHttp.Answer call(String method, String path) throws IOException {
    return RawHttp.exchange(
        port, method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }

  @Test
  void sendErrorGivesJsonWithTheMessageForEveryMethod() throws Exception {
    for (String method : List.of("GET", "POST", "PUT", "DELETE")) {
      JsonNode j = assertJson(call(method, "/teapot"), 418, "http_418");
      assertThat(j.get("detail").asText()).isEqualTo("short and stout");
    }
    assertThat(assertJson(call("GET", "/writer"), 400, "bad_request").get("detail").asText())
        .isEqualTo("changed its mind");
  }

  @Test
  void unavailableCarriesRetryAfter() throws Exception {
    RawHttp.Answer a = call("GET", "/busy");
    assertThat(assertJson(a, 503, "unavailable").get("detail").asText())
        .contains("Service Unavailable");
    assertThat(a.header("Retry-After")).isEqualTo("1");
  }

  @Test
  void anEscapedExceptionIs500WithAnErrorIdAndNothingOfItsMessage() throws Exception {
    JsonNode j = assertJson(call("GET", "/boom"), 500, "internal_error");
    assertThat(j.get("detail").asText())
        .containsPattern("error id [0-9a-f]{8}")
        .doesNotContain("secret");
  }

  @Test
  void parserRefusalsAreJsonAndCounted() throws Exception {
    int before;
    synchronized (ANSWERED) {
      before = ANSWERED.size();
    }
    RawHttp.Answer a =
        RawHttp.exchange(port, "GET /teapot HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n");
    assertThat(assertJson(a, 400, "bad_request").get("detail").asText()).contains("Content-Length");
    synchronized (ANSWERED) {
      assertThat(ANSWERED.subList(before, ANSWERED.size())).containsExactly(400);
    }
  }
}
