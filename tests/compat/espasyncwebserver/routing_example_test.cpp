// ESPAsyncWebServer examples: how requests find their handler (CatchAllHandler, Rewrite,
// Filters, HTTPMethodsWithArduino, HTTPMethodsWithESPIDF, URIMatcher, URIMatcherTest,
// WebDAVMethods) and the server's life cycle (ServerState, EndBegin).
#include <sys/wait.h>

#include <fstream>

#include "web_example_fixture.h"

namespace webtest {
namespace {

Request withMethod(const std::string &method, const std::string &path) {
  Request r;
  r.method = method;
  r.path = path;
  if (method == "HEAD")
    r.curlArgs = {"-I"};  // curl would otherwise wait for the body Content-Length announces
  return r;
}

// The FlashResponse / CatchAllHandler page: a 4272-byte HTML document kept in flash.
void expectSampleHtmlPage(const Response &r) {
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_EQ(r.header("content-length"), "4272");
  EXPECT_EQ(r.body.size(), 4272u);
  EXPECT_EQ(r.body.rfind("\n<!DOCTYPE html>", 0), 0u) << r.body.substr(0, 40);
  EXPECT_NE(r.body.find("<h1>Hello, World!</h1>"), std::string::npos);
  EXPECT_EQ(r.body.substr(r.body.size() - 8), "</html>\n");
}

class CatchAllHandler : public WebExampleTest {};

TEST_F(CatchAllHandler, RootServesThePageFromFlash) {
  ASSERT_NO_FATAL_FAILURE(startExample("CatchAllHandler"));
  expectSampleHtmlPage(get("/"));
}

TEST_F(CatchAllHandler, UnknownUrlsGetNotFound) {
  ASSERT_NO_FATAL_FAILURE(startExample("CatchAllHandler"));
  for (const char *path : {"/foo", "/foo/bar?x=1", "/index.html"}) {
    const Response r = get(path);
    EXPECT_EQ(r.status, 404) << path << " " << r.error;
    EXPECT_EQ(r.header("content-type"), "text/plain") << path;
    EXPECT_EQ(r.body, "Not found") << path;
  }
  Request post = withMethod("POST", "/other");
  post.headers = {"Content-Type: application/json"};
  post.body = R"({"game": "test"})";
  const Response r = http(post);
  EXPECT_EQ(r.status, 404) << r.error;
  EXPECT_EQ(r.body, "Not found");
}

// onRequestBody prepares the answer for /game_log; onNotFound then leaves it alone.
TEST_F(CatchAllHandler, GameLogBodyIsAnsweredByTheBodyCallback) {
  ASSERT_NO_FATAL_FAILURE(startExample("CatchAllHandler"));
  Request post = withMethod("POST", "/game_log");
  post.headers = {"Content-Type: application/json"};
  post.body = R"({"game": "test"})";
  const Response r = http(post);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"status":"OK"})");
}

class Rewrite : public WebExampleTest {};

TEST_F(Rewrite, RootAndTextFileAreRewrittenToTheHtmlPage) {
  ASSERT_NO_FATAL_FAILURE(startExample("Rewrite"));
  for (const char *path : {"/", "/index.txt", "/index.html"}) {
    const Response r = get(path);
    EXPECT_EQ(r.status, 200) << path << " " << r.error;
    EXPECT_EQ(r.header("content-type"), "text/html") << path;
    EXPECT_EQ(r.body, "<h1>Hello, world!</h1>") << path;  // the .txt handler stays hidden
  }
  const Response missing = get("/index.htm");
  EXPECT_EQ(missing.status, 404) << missing.error;
}

// Both handlers of "/" are filtered on the WiFi interface the request came in on
// (ON_AP_FILTER, ON_STA_FILTER). ESPAsyncWebServer's host path has no WiFi support
// (ASYNCWEBSERVER_WIFI_SUPPORTED is 0), where both filters refuse every request.
class Filters : public WebExampleTest {};

TEST_F(Filters, WithoutWifiSupportBothFilteredRoutesStayClosed) {
  ASSERT_NO_FATAL_FAILURE(startExample("Filters"));
  const Response r = get("/");
  EXPECT_EQ(r.status, 404) << r.error;
  EXPECT_EQ(r.body, "Not found");
  example().pump(100ms);
  EXPECT_EQ(example().out().find("Captive portal request..."), std::string::npos);
  EXPECT_EQ(example().out().find("Website request..."), std::string::npos);
}

// HTTPMethodsWithArduino and HTTPMethodsWithESPIDF: the same routes, with the method
// enums of arduino-esp32's WebServer or of ESP-IDF's http_parser in scope; the ESP-IDF
// one adds /any (HTTP_ANY). Their JSON handler (/test) needs ArduinoJson: compiled out.
struct MethodCase {
  const char *method;
  const char *path;
  int status;
  const char *body;  // nullptr: not checked (HEAD)
};

class HTTPMethodsWithArduino : public WebExampleTest {
protected:
  void expectAll(const std::vector<MethodCase> &cases) {
    for (const MethodCase &c : cases) {
      const Response r = http(withMethod(c.method, c.path));
      EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << r.error;
      if (c.body != nullptr) {
        EXPECT_EQ(r.body, c.body) << c.method << " " << c.path;
      }
    }
  }
};

TEST_F(HTTPMethodsWithArduino, CompositeMethodRoutes) {
  ASSERT_NO_FATAL_FAILURE(startExample("HTTPMethodsWithArduino"));
  expectAll({
      {"GET", "/get-or-post", 200, "Hello"},
      {"POST", "/get-or-post", 200, "Hello"},
      {"PUT", "/get-or-post", 404, "Not found"},
      {"DELETE", "/get-or-post", 404, "Not found"},
      {"GET", "/all", 200, "Hello"},
      {"POST", "/all", 200, "Hello"},
      {"PUT", "/all", 200, "Hello"},
      {"DELETE", "/all", 200, "Hello"},
      {"PATCH", "/all", 200, "Hello"},
      {"OPTIONS", "/all", 200, "Hello"},
      {"HEAD", "/all", 200, nullptr},
      {"GET", "/any", 404, "Not found"},  // only the ESP-IDF flavour has /any
  });
  Request form = withMethod("POST", "/get-or-post");
  form.body = "a=b";
  EXPECT_EQ(http(form).body, "Hello");
}

// The custom handler accepts HEAD and OPTIONS on any URL (a bit test on the composite).
TEST_F(HTTPMethodsWithArduino, CustomHandlerAnswersHeadAndOptionsOnly) {
  ASSERT_NO_FATAL_FAILURE(startExample("HTTPMethodsWithArduino"));
  expectAll({
      {"OPTIONS", "/custom", 200, "Hello from custom handler"},
      {"OPTIONS", "/get-or-post", 200, "Hello from custom handler"},
      {"POST", "/custom", 404, "Not found"},
      {"GET", "/custom", 404, "Not found"},
      {"PUT", "/custom", 404, "Not found"},
  });
  const Response head = http(withMethod("HEAD", "/custom"));
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.header("content-length"), "25");  // "Hello from custom handler"
  EXPECT_EQ(head.header("content-type"), "text/plain");
}

TEST_F(HTTPMethodsWithArduino, JsonHandlerIsCompiledOutWithoutArduinoJson) {
  ASSERT_NO_FATAL_FAILURE(startExample("HTTPMethodsWithArduino"));
  Request post = withMethod("POST", "/test");
  post.headers = {"Content-Type: application/json"};
  post.body = R"({"name":"You"})";
  EXPECT_EQ(http(post).status, 404);
}

class HTTPMethodsWithESPIDF : public HTTPMethodsWithArduino {};

TEST_F(HTTPMethodsWithESPIDF, CompositeAndAnyMethodRoutes) {
  ASSERT_NO_FATAL_FAILURE(startExample("HTTPMethodsWithESPIDF"));
  expectAll({
      {"GET", "/get-or-post", 200, "Hello"},
      {"POST", "/get-or-post", 200, "Hello"},
      {"PUT", "/get-or-post", 404, "Not found"},
      {"GET", "/all", 200, "Hello"},
      {"DELETE", "/all", 200, "Hello"},
      {"PATCH", "/all", 200, "Hello"},
      {"GET", "/any", 200, "Hello"},
      {"POST", "/any", 200, "Hello"},
      {"PUT", "/any", 200, "Hello"},
      {"DELETE", "/any", 200, "Hello"},
      {"PATCH", "/any", 200, "Hello"},
      {"OPTIONS", "/any", 200, "Hello"},
      {"HEAD", "/any", 200, nullptr},
  });
}

TEST_F(HTTPMethodsWithESPIDF, CustomHandlerAnswersHeadAndOptionsOnly) {
  ASSERT_NO_FATAL_FAILURE(startExample("HTTPMethodsWithESPIDF"));
  expectAll({
      {"OPTIONS", "/custom", 200, "Hello from custom handler"},
      {"HEAD", "/custom", 200, nullptr},
      {"POST", "/custom", 404, "Not found"},
      {"GET", "/custom", 404, "Not found"},
  });
}

class URIMatcher : public WebExampleTest {};

TEST_F(URIMatcher, EachMatcherKindRoutesItsUrls) {
  ASSERT_NO_FATAL_FAILURE(startExample("URIMatcher"));
  const std::vector<std::pair<const char *, const char *>> matches = {
      {"/auto", "OK - Auto-detection match"},
      {"/auto/sub", "OK - Auto-detection match"},
      {"/wildcard", "OK - Wildcard prefix match"},
      {"/wildcard-test", "OK - Wildcard prefix match"},
      {"/auto-images/photo.png", "OK - Extension match"},
      {"/exact", "OK - Factory exact match"},
      {"/service", "OK - Factory prefix match"},
      {"/service/status", "OK - Factory prefix match"},
      {"/admin/", "OK - Directory match"},
      {"/admin/users", "OK - Directory match"},
      {"/images/photo.jpg", "OK - Extension match"},
      {"/images/sub/photo.jpg", "OK - Extension match"},
      {"/case", "OK - Case insensitive match"},
      {"/CASE", "OK - Case insensitive match"},
      {"/CaSe", "OK - Case insensitive match"},
      {"/mixedcase-test", "OK - Combined flags match"},
      {"/MIXEDCASE/sub", "OK - Combined flags match"},
  };
  for (const auto &[path, body] : matches) {
    const Response r = get(path);
    EXPECT_EQ(r.status, 200) << path << " " << r.error;
    EXPECT_EQ(r.body, body) << path;
  }
  // The negative cases the example names, and the regex route (ASYNCWEBSERVER_REGEX is
  // not defined: the example compiles it out).
  for (const char *path : {"/autox", "/auto-images/photo.jpg", "/exact/sub", "/EXACT", "/admin",
                           "/images/photo.png", "/case/sub", "/user/123", "/nothing"}) {
    const Response r = get(path);
    EXPECT_EQ(r.status, 404) << path << " " << r.error;
    EXPECT_EQ(r.header("content-type"), "text/html") << path;
    EXPECT_NE(r.body.find(std::string("<strong>") + path + "</strong> was not found"),
              std::string::npos)
        << path << ": " << r.body;
  }
}

TEST_F(URIMatcher, HomePageLinksTheExamples) {
  ASSERT_NO_FATAL_FAILURE(startExample("URIMatcher"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_NE(r.body.find("<h1>AsyncURIMatcher Examples</h1>"), std::string::npos);
  EXPECT_NE(r.body.find(R"(<a href="/admin/users")"), std::string::npos);
  EXPECT_EQ(r.body.find("/user/123"), std::string::npos);  // regex section compiled out
  EXPECT_EQ(r.body.substr(r.body.size() - 7), "</html>");
  EXPECT_TRUE(example().waitForText("Homepage accessed", 5s)) << example().out();
}

// URIMatcherTest ships test_routes.sh, its own client: run unchanged against the example.
class URIMatcherTest : public WebExampleTest {};

TEST_F(URIMatcherTest, ShippedRouteScriptPasses) {
  // The ESPAsyncWebServer checkout the suite was built from.
  const std::string script = std::string(ASYNCTCP_ESPASYNCWEBSERVER_DIR) +
                             "/examples/arduino/URIMatcherTest/test_routes.sh";
  ASSERT_TRUE(std::ifstream(script).good()) << "missing " << script;
  ASSERT_NO_FATAL_FAILURE(startExample("URIMatcherTest"));
  ChildProcess run;
  // Its one argument is the server's address (port 80 is fixed in the script).
  ASSERT_TRUE(run.start({"bash", script, "127.0.0.1"})) << run.error();
  const int status = run.waitExit(60s);
  example().pump();
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "test_routes.sh failed (status " << status << "):\n"
      << run.out() << run.err();
  EXPECT_NE(run.out().find("All tests passed!"), std::string::npos) << run.out();
  EXPECT_EQ(run.out().find("FAIL ("), std::string::npos) << run.out();
}

class WebDAVMethods : public WebExampleTest {};

TEST_F(WebDAVMethods, EveryMethodReachesTheHandler) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebDAVMethods"));
  for (const char *method : {"PROPFIND", "LOCK", "UNLOCK", "PROPPATCH", "MKCOL", "MOVE", "COPY",
                             "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    const Response r = http(withMethod(method, "/dir/file.txt"));
    EXPECT_EQ(r.status, 200) << method << " " << r.error;
    EXPECT_EQ(r.header("content-type"), "text/plain") << method;
    EXPECT_EQ(r.body, std::string("Got method ") + method + " on URL /dir/file.txt\r\n");
  }
  EXPECT_TRUE(example().waitForText("Got method COPY on URL /dir/file.txt", 5s)) << example().out();
}

TEST_F(WebDAVMethods, PropfindWithAnXmlBody) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebDAVMethods"));
  Request r = withMethod("PROPFIND", "/");
  r.headers = {"Depth: 1", "Content-Type: application/xml"};
  r.body = R"(<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>)";
  const Response answer = http(r);
  EXPECT_EQ(answer.status, 200) << answer.error;
  EXPECT_EQ(answer.body, "Got method PROPFIND on URL /\r\n");
}

// Two servers on port 80: the second begin() cannot listen and stays CLOSED; setup()
// asserts the states and prints "Done!"; the first server keeps serving (no routes: 404).
class ServerState : public WebExampleTest {};

TEST_F(ServerState, SecondServerOnTheSamePortStaysClosed) {
  ASSERT_NO_FATAL_FAILURE(startExample("ServerState"));
  EXPECT_TRUE(example().waitForText("Done!", 5s)) << example().out() << example().err();
  const Response r = get("/");
  EXPECT_EQ(r.status, 404) << r.error;
  EXPECT_TRUE(example().running());
}

// setup() serves for 10 s, end()s the server, then begin()s it again.
class EndBegin : public WebExampleTest {};

TEST_F(EndBegin, ServesBeforeEndAndAgainAfterTheRestart) {
  ASSERT_NO_FATAL_FAILURE(startExample("EndBegin"));
  Response r = get("/");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world");
  EXPECT_EQ(example().out().find("end()"), std::string::npos) << "answered after end()";
  const auto restarted = [](const std::string &out) {
    const size_t end = out.find("end()");
    return end != std::string::npos && out.find("begin()", end) != std::string::npos;
  };
  ASSERT_TRUE(example().waitForOutput(restarted, 15s)) << example().out();
  r = get("/");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world");
}

}  // namespace
}  // namespace webtest
