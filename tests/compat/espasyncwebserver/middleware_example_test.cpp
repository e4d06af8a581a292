// ESPAsyncWebServer examples: middlewares and headers (CORS, Middleware, Logging,
// HeaderManipulation, Headers, RateLimit, ChunkRetryResponse's request logger).
#include <chrono>
#include <cstdlib>
#include <thread>
#include <tuple>

#include "web_example_fixture.h"

namespace webtest {
namespace {

// The part of `log` from the first line containing `from` up to the next line
// containing `to` (included), or "" when either is missing.
std::string logBlock(const std::string &log, const std::string &from, const std::string &to) {
  const size_t start = log.find(from);
  if (start == std::string::npos)
    return "";
  const size_t end = log.find(to, start);
  if (end == std::string::npos)
    return "";
  return log.substr(start, end + to.size() - start);
}

class CORS : public WebExampleTest {
protected:
  static void expectCorsHeaders(const Response &r) {
    EXPECT_EQ(r.header("access-control-allow-origin"), "http://192.168.4.1");
    EXPECT_EQ(r.header("access-control-allow-methods"), "POST, GET, OPTIONS, DELETE");
    EXPECT_EQ(r.header("access-control-allow-headers"), "X-Custom-Header");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "false");
    EXPECT_EQ(r.header("access-control-max-age"), "600");
  }
};

TEST_F(CORS, PreflightIsAnsweredByTheMiddleware) {
  ASSERT_NO_FATAL_FAILURE(startExample("CORS"));
  Request preflight;
  preflight.method = "OPTIONS";
  preflight.path = "/cors";
  preflight.headers = {"Origin: http://192.168.4.1", "Access-Control-Request-Method: DELETE"};
  const Response r = http(preflight);
  ASSERT_EQ(r.status, 200) << r.error;
  expectCorsHeaders(r);
  EXPECT_EQ(r.body, "");
  // Any URL: the middleware is the server's, it answers before routing.
  preflight.path = "/elsewhere";
  const Response other = http(preflight);
  EXPECT_EQ(other.status, 200) << other.error;
  expectCorsHeaders(other);
}

TEST_F(CORS, CorsRequestGetsTheHeadersAdded) {
  ASSERT_NO_FATAL_FAILURE(startExample("CORS"));
  const Response r = get("/cors", {"Origin: http://192.168.4.1"});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world!");
  expectCorsHeaders(r);
}

TEST_F(CORS, RequestsWithoutOriginAreLeftAlone) {
  ASSERT_NO_FATAL_FAILURE(startExample("CORS"));
  const Response r = get("/cors");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world!");
  for (const auto &[name, value] : r.headers)
    EXPECT_NE(name.rfind("access-control-", 0), 0u) << name << ": " << value;
  Request options;
  options.method = "OPTIONS";
  options.path = "/cors";
  EXPECT_EQ(http(options).status, 404);  // no Origin: not a preflight, and no OPTIONS route
}

// A global class middleware around the handler, and two handler middlewares: one refuses
// user=anon before the handler, the other replaces the answer for user=error after it.
class Middleware : public WebExampleTest {};

TEST_F(Middleware, HandlerMiddlewaresShapeTheAnswer) {
  ASSERT_NO_FATAL_FAILURE(startExample("Middleware"));
  const std::vector<std::tuple<const char *, int, const char *>> cases = {
      {"/", 200, "Hello, world!"},
      {"/?user=anon", 403, "Forbidden"},
      {"/?user=foo", 200, "Hello, world!"},
      {"/?user=error", 400, "ERROR"},
  };
  for (const auto &[path, status, body] : cases) {
    const Response r = get(path);
    EXPECT_EQ(r.status, status) << path << " " << r.error;
    EXPECT_EQ(r.body, body) << path;
    EXPECT_EQ(r.header("content-type"), "text/plain") << path;
  }
}

TEST_F(Middleware, MiddlewaresRunInOrderAroundTheHandler) {
  ASSERT_NO_FATAL_FAILURE(startExample("Middleware"));
  ASSERT_EQ(get("/?user=error").status, 400);
  ASSERT_TRUE(example().waitForText("After handler: response code=400", 5s)) << example().out();
  EXPECT_EQ(
      sketchtest::lines(example().out()),
      (std::vector<std::string>{"Before handler: GET /", "Checking user=anon", "In Handler: GET /",
                                "Checking user=error", "After handler: response code=400"}));
  // anon: refused before the handler runs.
  ASSERT_EQ(get("/?user=anon").status, 403);
  ASSERT_TRUE(example().waitForText("After handler: response code=403", 5s)) << example().out();
  const std::string anon = logBlock(example().out(), "After handler: response code=400",
                                    "After handler: response code=403");
  EXPECT_EQ(anon.find("In Handler"), std::string::npos) << anon;
  // The global middleware also wraps the not-found handler.
  EXPECT_EQ(get("/missing").status, 404);
  EXPECT_TRUE(example().waitForText("After handler: response code=404", 5s)) << example().out();
  EXPECT_NE(example().out().find("Before handler: GET /missing"), std::string::npos);
}

class Logging : public WebExampleTest {};

TEST_F(Logging, RequestAndResponseAreLoggedCurlStyle) {
  ASSERT_NO_FATAL_FAILURE(startExample("Logging"));
  const Response r = get("/", {"X-Header:Foo"});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world!");
  ASSERT_TRUE(example().waitForText("< HTTP/1.1 200 OK", 5s)) << example().out();
  const std::string log = example().out();
  EXPECT_NE(log.find("* Connection from 127.0.0.1:"), std::string::npos) << log;
  for (const char *line : {"> GET / HTTP/1.1", "> Host: 127.0.0.1", "> X-Header: Foo", ">",
                           "< HTTP/1.1 200 OK", "< Connection: close", "<"})
    EXPECT_TRUE(sketchtest::hasLine(log, line)) << line << " missing in:\n" << log;
  EXPECT_NE(log.find("* Processed in "), std::string::npos) << log;
  // Requests nobody handles are logged too.
  EXPECT_EQ(get("/nope").status, 404);
  EXPECT_TRUE(example().waitForText("< HTTP/1.1 404 Not Found", 5s)) << example().out();
  EXPECT_TRUE(sketchtest::hasLine(example().out(), "> GET /nope HTTP/1.1"));
}

// AsyncWebHeader::parse(): "Name: value" and "Name:value" give headers, an empty value
// is kept, "" and ":" are refused.
class HeaderManipulation : public WebExampleTest {};

TEST_F(HeaderManipulation, ParsedResponseHeaders) {
  ASSERT_NO_FATAL_FAILURE(startExample("HeaderManipulation"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello, world!");
  EXPECT_EQ(r.header("x-test-1"), "value1");
  EXPECT_EQ(r.header("x-test-2"), "value2");
  EXPECT_EQ(r.headers.count("x-test-3"), 1u);
  EXPECT_EQ(r.header("x-test-3"), "");
  EXPECT_EQ(r.headers.count("x-test-4"), 1u);
  EXPECT_EQ(r.header("x-test-4"), "");
  EXPECT_EQ(r.headers.count(""), 0u);
  EXPECT_EQ(r.header("content-length"), "13");
}

TEST_F(HeaderManipulation, FilterMiddlewareRemovesOneRequestHeader) {
  ASSERT_NO_FATAL_FAILURE(startExample("HeaderManipulation"));
  const Response r = get("/remove", {"X-Header: Foo", "x-remove-me: value"});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_TRUE(example().waitForText("< HTTP/1.1 200 OK", 5s)) << example().out();
  // The logger runs before the filter, the handler after it.
  const std::string block = logBlock(example().out(), "> GET /remove HTTP/1.1", "* Processed in");
  EXPECT_NE(block.find("> x-remove-me: value"), std::string::npos) << block;
  EXPECT_NE(block.find("Header[X-Header]: Foo"), std::string::npos) << block;
  EXPECT_NE(block.find("Header[Host]: 127.0.0.1"), std::string::npos) << block;
  EXPECT_EQ(block.find("Header[x-remove-me]"), std::string::npos) << block;
}

TEST_F(HeaderManipulation, FreeMiddlewareKeepsOnlyListedRequestHeaders) {
  ASSERT_NO_FATAL_FAILURE(startExample("HeaderManipulation"));
  const Response r = get("/keep", {"x-keep-me: value", "x-remove-me: value", "X-Other: 1"});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_TRUE(example().waitForText("< HTTP/1.1 200 OK", 5s)) << example().out();
  const std::string block = logBlock(example().out(), "> GET /keep HTTP/1.1", "* Processed in");
  std::vector<std::string> handlerSaw;
  for (const std::string &line : sketchtest::lines(block))
    if (line.rfind("Header[", 0) == 0)
      handlerSaw.push_back(line);
  EXPECT_EQ(handlerSaw,
            (std::vector<std::string>{"Header[Host]: 127.0.0.1", "Header[x-keep-me]: value"}))
      << block;
}

class Headers : public WebExampleTest {};

TEST_F(Headers, ListsRequestHeadersAndSendsCustomResponseHeaders) {
  // AsyncWebServerResponse::removeHeader(name) (ESPAsyncWebServer 3.12.0, WebResponses.cpp)
  // erases from its std::list and then advances the erased iterator: with two or more
  // matching headers the handler's removeHeader("Set-Cookie") is a use after free, a
  // SIGSEGV in std::list::erase here, before any answer is sent.
  GTEST_SKIP() << "upstream: ESPAsyncWebServer's AsyncWebServerResponse::removeHeader(name) "
                  "uses an erased std::list iterator; the example crashes (SIGSEGV) on GET /";
  ASSERT_NO_FATAL_FAILURE(startExample("Headers"));
  const Response r = get("/", {"X-Custom: abc"});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello World!");
  EXPECT_EQ(r.header("server"), "ESP Async Web Server");
  EXPECT_EQ(r.header("set-cookie"), "");  // all three removed again
  EXPECT_TRUE(example().waitForText("HEADER[X-Custom]: abc", 5s)) << example().out();
}

// At most 5 requests per 10 s on /rate-limited; then 429 with Retry-After.
class RateLimit : public WebExampleTest {};

TEST_F(RateLimit, SixthRequestInTheWindowIsRefused) {
  ASSERT_NO_FATAL_FAILURE(startExample("RateLimit"));
  // AsyncRateLimitMiddleware drops the requests older than `millis() - window` in 32-bit
  // unsigned arithmetic: while millis() is below the 10 s window the subtraction wraps and
  // every earlier request is dropped, so nothing is limited in the first 10 s after start
  // (after boot, on an ESP32). millis() counts from before port 80 listened: wait for it.
  const auto listening = std::chrono::steady_clock::now();
  std::this_thread::sleep_until(listening + 10s + 100ms);
  for (int i = 1; i <= 5; ++i) {
    const Response r = get("/rate-limited");
    EXPECT_EQ(r.status, 200) << "request " << i << " " << r.error;
    EXPECT_EQ(r.body, "Hello, world!");
  }
  const Response refused = get("/rate-limited");
  EXPECT_EQ(refused.status, 429) << refused.error;
  const int retryAfter = std::atoi(refused.header("retry-after").c_str());
  EXPECT_GE(retryAfter, 1) << refused.header("retry-after");
  EXPECT_LE(retryAfter, 10) << refused.header("retry-after");
  EXPECT_EQ(get("/rate-limited").status, 429);
  // Only that route is limited.
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(get("/").status, 200) << "request " << i;
}

// Its routes (and its blocking UART exchange) use ArduinoJson, compiled out here: what
// remains is the server-wide request logger in front of an empty server.
class ChunkRetryResponse : public WebExampleTest {};

TEST_F(ChunkRetryResponse, WithoutJsonOnlyTheRequestLoggerRemains) {
  ASSERT_NO_FATAL_FAILURE(startExample("ChunkRetryResponse"));
  const Response root = get("/");
  EXPECT_EQ(root.status, 404) << root.error;
  Request api;
  api.method = "POST";
  api.path = "/api";
  api.headers = {"Content-Type: application/json"};
  api.body = R"({"input": "Please type a key"})";
  EXPECT_EQ(http(api).status, 404);
  ASSERT_TRUE(example().waitForOutput(
      [](const std::string &out) {
        return out.find("< HTTP/1.1 404 Not Found", out.find("> POST /api HTTP/1.1")) !=
               std::string::npos;
      },
      5s))
      << example().out();
  EXPECT_TRUE(sketchtest::hasLine(example().out(), "> GET / HTTP/1.1"));
  EXPECT_TRUE(sketchtest::hasLine(example().out(), "> Content-Type: application/json"));
}

}  // namespace
}  // namespace webtest
