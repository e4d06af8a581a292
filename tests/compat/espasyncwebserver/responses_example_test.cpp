// ESPAsyncWebServer examples: kinds of responses (AsyncResponseStream, FlashResponse,
// ChunkResponse, Templates) and the JSON / MessagePack ones (Json, MessagePack), whose
// routes need ArduinoJson and are compiled out on a host.
#include <cstdlib>
#include <memory>
#include <regex>

#include "web_example_fixture.h"

namespace webtest {
namespace {

// Decodes a chunked body as received with curl --raw; false if it is not well formed.
bool decodeChunked(const std::string &raw, std::string &body, std::vector<size_t> &sizes) {
  size_t pos = 0;
  for (;;) {
    const size_t eol = raw.find("\r\n", pos);
    if (eol == std::string::npos)
      return false;
    char *end = nullptr;
    const std::string line = raw.substr(pos, eol - pos);
    const size_t size = std::strtoul(line.c_str(), &end, 16);
    if (line.empty() || (*end != '\0' && *end != ';'))
      return false;
    pos = eol + 2;
    if (size == 0)
      return raw.compare(pos, std::string::npos, "\r\n") == 0;  // no trailers
    if (raw.size() < pos + size + 2 || raw.compare(pos + size, 2, "\r\n") != 0)
      return false;
    body.append(raw, pos, size);
    sizes.push_back(size);
    pos += size + 2;
  }
}

void expectSampleHtmlPage(const std::string &body) {
  EXPECT_EQ(body.size(), 4272u);
  EXPECT_EQ(body.rfind("\n<!DOCTYPE html>", 0), 0u) << body.substr(0, 40);
  EXPECT_NE(body.find("<h1>Hello, World!</h1>"), std::string::npos);
  EXPECT_EQ(body.substr(body.size() - 8), "</html>\n");
}

// A 40 KiB response buffer filled with 32 KiB of 'a', sent with its length.
class AsyncResponseStream : public WebExampleTest {};

TEST_F(AsyncResponseStream, BufferedStreamIsSentWhole) {
  ASSERT_NO_FATAL_FAILURE(startExample("AsyncResponseStream"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "plain/text");  // sic: the example's type
  EXPECT_EQ(r.header("content-length"), "32768");
  EXPECT_EQ(r.body, std::string(32 * 1024, 'a'));
}

TEST_F(AsyncResponseStream, ConcurrentClientsGetTheWholeBody) {
  ASSERT_NO_FATAL_FAILURE(startExample("AsyncResponseStream"));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<ChildProcess>());
    ASSERT_TRUE(clients.back()->start({"curl", "-sS", "--max-time", "20", url("/")}))
        << clients.back()->error();
  }
  for (auto &c : clients) {
    EXPECT_EQ(c->waitExit(25s), 0) << c->err();
    EXPECT_EQ(c->out(), std::string(32 * 1024, 'a'));
  }
}

class FlashResponse : public WebExampleTest {};

TEST_F(FlashResponse, LargePageFromFlashWithItsLength) {
  ASSERT_NO_FATAL_FAILURE(startExample("FlashResponse"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_EQ(r.header("content-length"), "4272");
  EXPECT_EQ(r.header("transfer-encoding"), "");
  expectSampleHtmlPage(r.body);
  EXPECT_EQ(get("/other").status, 404);
}

// The same page as FlashResponse, sent chunked in pieces of at most 256 bytes, with an
// ETag ("4272", its length) and a Cache-Control; a matching If-None-Match gets 304.
class ChunkResponse : public WebExampleTest {};

TEST_F(ChunkResponse, PageIsSentInSmallChunks) {
  ASSERT_NO_FATAL_FAILURE(startExample("ChunkResponse"));
  Request req;
  req.path = "/";
  req.curlArgs = {"--raw"};  // keep the chunk framing
  const Response r = http(req);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.header("content-length"), "");
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_EQ(r.header("etag"), "\"4272\"");
  EXPECT_EQ(r.header("cache-control"), "public,max-age=60");
  std::string body;
  std::vector<size_t> sizes;
  ASSERT_TRUE(decodeChunked(r.body, body, sizes)) << r.body.substr(0, 200);
  expectSampleHtmlPage(body);
  EXPECT_GE(sizes.size(), 17u);  // 4272 / 256
  for (size_t s : sizes)
    EXPECT_LE(s, 256u);
  EXPECT_TRUE(example().waitForText("finished", 5s)) << example().out();
  EXPECT_TRUE(sketchtest::hasLine(example().out(), "sending: 256"));
}

TEST_F(ChunkResponse, MatchingEtagGetsNotModified) {
  ASSERT_NO_FATAL_FAILURE(startExample("ChunkResponse"));
  const Response cached = get("/", {"If-None-Match: \"4272\""});
  EXPECT_EQ(cached.status, 304) << cached.error;
  EXPECT_EQ(cached.body, "");
  // Another tag (or the unquoted one): the full page again.
  const Response other = get("/", {"If-None-Match: \"1234\""});
  EXPECT_EQ(other.status, 200) << other.error;
  EXPECT_EQ(other.body.size(), 4272u);
  EXPECT_EQ(get("/", {"If-None-Match: 4272"}).status, 200);
}

// setup() writes /template.html (with a %USER% placeholder) to LittleFS and serves it
// four ways, plus a handler that fills the placeholder from the query.
class Templates : public WebExampleTest {
protected:
  static std::string page(const std::string &user) {
    return "\n<!DOCTYPE html>\n<html>\n<body>\n    <h1>Hello, " + user +
           "</h1>\n</body>\n</html>\n";
  }
};

TEST_F(Templates, TemplateFileIsWrittenAndServedStatically) {
  ASSERT_NO_FATAL_FAILURE(startExample("Templates"));
  EXPECT_EQ(readFsFile("/template.html"), page("%USER%"));
  const Response r = get("/template.html");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, page("%USER%"));  // no processor: the placeholder stays
  EXPECT_EQ(r.header("content-type"), "text/html");
  const std::string etag = r.header("etag");
  EXPECT_FALSE(etag.empty()) << "a static file gets caching headers";
  const Response again = get("/template.html", {"If-None-Match: " + etag});
  EXPECT_EQ(again.status, 304) << again.error;
}

TEST_F(Templates, DynamicTemplateHasNoCachingHeaders) {
  ASSERT_NO_FATAL_FAILURE(startExample("Templates"));
  const Response r = get("/dynamic.html");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(std::regex_match(r.body, std::regex(page("Bob [0-9]+"))))
      << r.body;  // "Bob " + millis()
  EXPECT_EQ(r.header("etag"), "");
  EXPECT_EQ(r.header("last-modified"), "");
}

TEST_F(Templates, FixedTemplateWithLastModifiedIsCacheable) {
  ASSERT_NO_FATAL_FAILURE(startExample("Templates"));
  const Response r = get("/index.html");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, page("Bob"));
  EXPECT_EQ(r.header("last-modified"), "Sun, 28 Sep 2025 01:02:03 GMT");
  const Response cached = get("/index.html", {"If-Modified-Since: Sun, 28 Sep 2025 01:02:03 GMT"});
  EXPECT_EQ(cached.status, 304) << cached.error;
  EXPECT_EQ(cached.body, "");
}

TEST_F(Templates, UptimeAndRequestParameterTemplates) {
  ASSERT_NO_FATAL_FAILURE(startExample("Templates"));
  const Response uptime = get("/uptime.html");
  EXPECT_EQ(uptime.status, 200) << uptime.error;
  EXPECT_EQ(uptime.body, page("Bob 0 minutes"));  // the first minute
  const Response alice = get("/user_request.html?USER=Alice");
  EXPECT_EQ(alice.status, 200) << alice.error;
  EXPECT_EQ(alice.header("content-type"), "text/html");
  EXPECT_EQ(alice.body, page("Alice"));
  EXPECT_EQ(get("/user_request.html").body, page(""));
}

// Every route of Json and MessagePack is under ASYNC_JSON_SUPPORT (ArduinoJson): on a host
// they are empty servers. Checked: they start, listen and answer 404.
class Json : public WebExampleTest {};

TEST_F(Json, RoutesAreCompiledOutWithoutArduinoJson) {
  ASSERT_NO_FATAL_FAILURE(startExample("Json"));
  for (const char *path : {"/json1", "/json2", "/json3"})
    EXPECT_EQ(get(path).status, 404) << path;
}

class MessagePack : public WebExampleTest {};

TEST_F(MessagePack, RoutesAreCompiledOutWithoutArduinoJson) {
  ASSERT_NO_FATAL_FAILURE(startExample("MessagePack"));
  for (const char *path : {"/msgpack1", "/msgpack2", "/msgpack3"})
    EXPECT_EQ(get(path).status, 404) << path;
}

}  // namespace
}  // namespace webtest
