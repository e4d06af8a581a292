// ESPAsyncWebServer examples serving files: StaticFile (serveStatic from LittleFS, the
// example's host directory: content, gzip variant, ETag and 304, Cache-Control, directory
// default file, 404, and a 20 MB file to a slow reader) and ResumableDownload (HEAD).
#include <cstring>
#include <random>

#include "stream_example_support.h"

namespace webtest {
namespace {

class StaticFile : public StreamExampleTest {};

TEST_F(StaticFile, RootRedirectsToTheIndexPage) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 302) << r.error;
  EXPECT_EQ(r.header("location"), "/index.html");
  const Response followed = http(Request{"GET", "/", {}, "", {"-L"}});
  EXPECT_EQ(followed.status, 200) << followed.error;
  EXPECT_NE(followed.body.find("<h1>Hello, World!</h1>"), std::string::npos);
}

TEST_F(StaticFile, IndexIsTheFileItWroteToLittleFs) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const Response r = get("/index.html");
  ASSERT_EQ(r.status, 200) << r.error;
  // setup() wrote the page to LittleFS: the host directory.
  ASSERT_TRUE(fsFileExists("/index.html"));
  const std::string file = readFsFile("/index.html");
  EXPECT_GT(file.size(), 4000u);
  EXPECT_EQ(r.body, file);
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_EQ(r.header("content-length"), std::to_string(file.size()));
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_EQ(r.header("content-disposition"), "inline");
  // A strong ETag, quoted (RFC 9110), stable from one request to the next.
  const std::string etag = r.header("etag");
  ASSERT_EQ(etag.size(), 10u) << etag;
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_EQ(get("/index.html").header("etag"), etag);
}

TEST_F(StaticFile, MatchingIfNoneMatchAnswersNotModified) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const std::string etag = get("/index.html").header("etag");
  ASSERT_FALSE(etag.empty());
  const Response same = get("/index.html", {"If-None-Match: " + etag});
  EXPECT_EQ(same.status, 304) << same.error;
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(same.header("cache-control"), "no-cache");
  const Response other = get("/index.html", {"If-None-Match: \"00000000\""});
  EXPECT_EQ(other.status, 200) << other.error;
  EXPECT_EQ(other.body, readFsFile("/index.html"));
}

TEST_F(StaticFile, GzipVariantIsServedWithContentEncoding) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  // Only index2.html.gz exists: the handler serves it for /index2.html.
  ASSERT_TRUE(fsFileExists("/index2.html.gz"));
  EXPECT_FALSE(fsFileExists("/index2.html"));
  const Response raw = get("/index2.html");
  ASSERT_EQ(raw.status, 200) << raw.error;
  EXPECT_EQ(raw.header("content-encoding"), "gzip");
  EXPECT_EQ(raw.header("content-type"), "text/html");
  EXPECT_EQ(raw.body, readFsFile("/index2.html.gz"));
  ASSERT_GE(raw.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(raw.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(raw.body[1]), 0x8b);
  // Its ETag comes from the gzip trailer's CRC.
  EXPECT_EQ(raw.header("etag").size(), 10u) << raw.header("etag");
  // As a browser reads it: decompressed, the page.
  const Response page = http(Request{"GET", "/index2.html", {}, "", {"--compressed"}});
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u) << page.body.substr(0, 100);
  EXPECT_NE(page.body.find("</html>"), std::string::npos);
}

TEST_F(StaticFile, DirectoryServesItsDefaultFileAndItsFiles) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const Response index = get("/base/");
  ASSERT_EQ(index.status, 200) << index.error;
  EXPECT_EQ(index.body, "Hello from a.txt");  // setDefaultFile("a.txt")
  EXPECT_EQ(index.header("content-type"), "text/plain");
  EXPECT_EQ(get("/base/a.txt").body, "Hello from a.txt");
  const Response b = get("/base/b.txt");
  EXPECT_EQ(b.status, 200) << b.error;
  EXPECT_EQ(b.body, "Hello from b.txt");
  // A file added to the directory afterwards is served too.
  writeFsFile("/files/later.txt", "added later");
  EXPECT_EQ(get("/base/later.txt").body, "added later");
}

TEST_F(StaticFile, MissingFilesAnswerNotFound) {
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  EXPECT_EQ(get("/base/missing.txt").status, 404);
  EXPECT_EQ(get("/base/sub/").status, 404);
  EXPECT_EQ(get("/index3.html").status, 404);
  EXPECT_EQ(get("/files/a.txt").status, 404);  // only under /base
  // Paths climbing out of the served directory are not served (the layer refuses "..").
  for (const char *path : {"/base/../index.html", "/base/%2e%2e/index.html"}) {
    const Response escape = http(Request{"GET", path, {}, "", {"--path-as-is"}});
    EXPECT_EQ(escape.status, 404) << path << ": " << escape.body.substr(0, 200);
  }
  // The server still answers.
  EXPECT_EQ(get("/base/b.txt").status, 200);
}

TEST_F(StaticFile, RangeRequestsGetTheWholeFile) {
  // ESPAsyncWebServer has no Range support: it says so (Accept-Ranges: none) and answers
  // 200 with the whole file, which a client must accept (RFC 9110 14.2).
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const Response r = get("/base/b.txt", {"Range: bytes=6-9"});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("accept-ranges"), "none");
  EXPECT_EQ(r.body, "Hello from b.txt");
}

TEST_F(StaticFile, TwentyMegabytesReachASlowReader) {
  // 20 MB at 2 MiB/s: about 10 s nominal (curl lets bursts through: at 4M it took 3.4 s
  // once), well past ESPAsyncWebServer's 3 s rx timeout, which
  // only the acknowledgements of what was sent keep restarting. The body must be complete.
  std::string big(20 * 1000 * 1000, '\0');
  std::mt19937 rng(20);
  for (size_t i = 0; i < big.size(); i += 4) {
    const uint32_t v = rng();
    std::memcpy(&big[i], &v, 4);
  }
  writeFsFile("/files/big.bin", big);
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  const Download d = download("/base/big.bin", {"--limit-rate", "2M"}, 40s);
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_TRUE(d.curl.ok()) << d.curl.err;
  EXPECT_EQ(d.header("content-length"), "20000000");
  EXPECT_EQ(d.header("content-type"), "application/octet-stream");
  EXPECT_GT(d.seconds, 3.5) << "the reader was not slow: the test proves nothing";
  ASSERT_EQ(d.body.size(), big.size());
  EXPECT_TRUE(d.body == big) << "the body differs from the file";
  // The connection ended cleanly and the server goes on.
  EXPECT_EQ(get("/base/a.txt").body, "Hello from a.txt");
}

TEST_F(StaticFile, SeveralLargeDownloadsAtOnce) {
  std::string big(3 * 1000 * 1000, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = char('a' + (i * 7 + i / 1000) % 26);
  writeFsFile("/files/three.bin", big);
  ASSERT_NO_FATAL_FAILURE(startExample("StaticFile"));
  std::vector<std::vector<std::string>> curls;
  for (int i = 0; i < 6; ++i)
    curls.push_back({"curl", "-sS", "--max-time", "30", "-o", fsRoot() + ".par" + std::to_string(i),
                     "-w", "%{http_code} %{size_download}", url("/base/three.bin")});
  const std::vector<Finished> done = runAll(curls, 40s);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(done[i].ok()) << i << ": " << done[i].err;
    EXPECT_EQ(done[i].out, "200 3000000") << i;
    const std::string body = slurp(fsRoot() + ".par" + std::to_string(i));
    EXPECT_TRUE(body == big) << i << ": " << body.size() << " bytes, differing";
    std::remove((fsRoot() + ".par" + std::to_string(i)).c_str());
  }
}

class ResumableDownload : public StreamExampleTest {};

TEST_F(ResumableDownload, HeadAdvertisesRangesAndLength) {
  ASSERT_NO_FATAL_FAILURE(startExample("ResumableDownload"));
  Request head;
  head.method = "HEAD";
  head.path = "/download";
  head.curlArgs = {"-I"};
  const Response r = http(head);
  ASSERT_EQ(r.status, 200) << r.error;
  // The handler set each header twice; the later value wins and appears once.
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  EXPECT_EQ(r.header("content-length"), "1024");
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.body, "");
}

TEST_F(ResumableDownload, GetIsLeftUnhandledByTheExample) {
  // The example's GET branch is a placeholder ("// ..."): ESPAsyncWebServer answers a
  // handler that sent nothing with 501, with or without a Range.
  ASSERT_NO_FATAL_FAILURE(startExample("ResumableDownload"));
  const Response r = get("/download");
  EXPECT_EQ(r.status, 501) << r.error;
  EXPECT_EQ(r.body, "Handler did not handle the request");
  const Response ranged = get("/download", {"Range: bytes=0-99"});
  EXPECT_EQ(ranged.status, 501) << ranged.error;
  EXPECT_EQ(get("/other").status, 404);
}

}  // namespace
}  // namespace webtest
