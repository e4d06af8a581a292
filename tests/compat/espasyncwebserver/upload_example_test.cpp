// ESPAsyncWebServer examples receiving uploads: Upload (multipart to memory, to a LittleFS
// file sent back, binary to a buffer), MultiPart (the boundary parsing cases its comment
// lists) and UploadFlash (its ESP32-only route is compiled out on a host).
#include "stream_example_support.h"

namespace webtest {
namespace {

// About 20 KB of words, as the Upload example's comment suggests.
std::string loremIpsum(size_t size) {
  static const char *const words[] = {"lorem", "ipsum", "dolor", "sit",    "amet",  "consectetur",
                                      "elit",  "sed",   "do",    "tempor", "magna", "aliqua"};
  std::string s;
  for (size_t i = 0; s.size() < size; ++i) {
    s += words[(i * 7 + i / 13) % 12];
    s += (i % 17 == 16) ? "\n" : " ";
  }
  s.resize(size);
  return s;
}

std::string binaryBlob(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 0x12345678;
  for (char &c : s) {
    x = x * 1664525u + 1013904223u;
    c = char(x >> 24);
  }
  return s;
}

class Upload : public StreamExampleTest {
protected:
  // A file for curl -F "data=@file" (outside the example's LittleFS directory).
  // "path;filename=name": curl sends the file under `name`.
  std::string localFile(const std::string &name, const std::string &content) {
    const std::string path = fsRoot() + "." + name;
    std::ofstream(path, std::ios::binary) << content;
    _local.push_back(path);
    return path + ";filename=" + name;
  }
  void TearDown() override {
    for (const std::string &p : _local)
      std::remove(p.c_str());
    StreamExampleTest::TearDown();
  }

private:
  std::vector<std::string> _local;
};

TEST_F(Upload, TextUploadIsReceivedWhole) {
  ASSERT_NO_FATAL_FAILURE(startExample("Upload"));
  const std::string text = loremIpsum(20 * 1024);
  Request req;
  req.method = "POST";
  req.path = "/upload/text";
  req.curlArgs = {"-F", "data=@" + localFile("lorem.txt", text)};
  const Response r = http(req);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "OK");
  // The handler prints what it gathered: all of it, in order.
  EXPECT_TRUE(example().waitForText("Text uploaded:\n" + text + "\n", 5s)) << tail(example().out());
  EXPECT_TRUE(example().waitForText("Upload[lorem.txt]: start=0, len=", 1s));
}

TEST_F(Upload, FileUploadLandsInLittleFsAndIsSentBack) {
  ASSERT_NO_FATAL_FAILURE(startExample("Upload"));
  const std::string text = loremIpsum(64 * 1024 + 123);
  const Download d = download("/upload/file", {"-F", "data=@" + localFile("lorem.txt", text)});
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_EQ(d.header("content-type"), "text/plain");
  EXPECT_TRUE(d.body == text) << d.body.size() << " bytes back";
  // Stored as /my_file.txt in the example's LittleFS directory.
  ASSERT_TRUE(fsFileExists("/my_file.txt"));
  EXPECT_TRUE(readFsFile("/my_file.txt") == text);
  EXPECT_TRUE(example().waitForText(", final=1\n", 1s)) << tail(example().out());

  // A second upload replaces it.
  const Download again = download("/upload/file", {"-F", "data=@" + localFile("b.txt", "small")});
  EXPECT_EQ(again.code, 200) << again.curl.err;
  EXPECT_EQ(again.body, "small");
  EXPECT_EQ(readFsFile("/my_file.txt"), "small");
}

TEST_F(Upload, LargeBinaryUploadIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(startExample("Upload"));
  const std::string blob = binaryBlob(4 * 1000 * 1000);
  const Download d = download("/upload/binary", {"-F", "data=@" + localFile("blob.bin", blob)});
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_EQ(d.body, "OK");
  // Every byte passed the upload callback: the last call ends at the file's size.
  std::string last;
  for (const std::string &line : sketchtest::lines(example().out()))
    if (line.rfind("Upload[blob.bin]:", 0) == 0)
      last = line;
  unsigned long start = 0, len = 0;
  int final = 0;
  ASSERT_EQ(std::sscanf(last.c_str(), "Upload[blob.bin]: start=%lu, len=%lu, final=%d", &start,
                        &len, &final),
            3)
      << last;
  EXPECT_EQ(start + len, blob.size());
  EXPECT_EQ(final, 1);
}

TEST_F(Upload, NothingUploadedIsRefused) {
  ASSERT_NO_FATAL_FAILURE(startExample("Upload"));
  for (const char *path : {"/upload/text", "/upload/file", "/upload/binary"}) {
    Request req;
    req.method = "POST";
    req.path = path;
    const Response r = http(req);
    EXPECT_EQ(r.status, 400) << path << ": " << r.error;
    EXPECT_EQ(r.body, "Nothing uploaded") << path;
  }
  EXPECT_FALSE(fsFileExists("/my_file.txt"));
}

TEST_F(Upload, SeveralUploadsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(startExample("Upload"));
  std::vector<std::vector<std::string>> curls;
  for (int i = 0; i < 8; ++i)
    curls.push_back({"curl", "-sS", "--max-time", "20", "-F",
                     "data=@" + localFile("t" + std::to_string(i), loremIpsum(30000 + i)),
                     url(i % 2 ? "/upload/text" : "/upload/binary")});
  const std::vector<Finished> done = runAll(curls, 30s);
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(done[i].ok()) << i << ": " << done[i].err;
    EXPECT_EQ(done[i].out, "OK") << i;
  }
}

class MultiPart : public StreamExampleTest {
protected:
  Response post(const std::string &contentType, const std::string &body) {
    Request req;
    req.method = "POST";
    req.path = "/upload";
    req.headers = {"Content-Type: " + contentType};
    req.body = body;
    return http(req);
  }
  static std::string field(const std::string &boundary) {
    return "--" + boundary +
           "\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nhello\r\n--" + boundary +
           "--\r\n";
  }
  static constexpr const char *kOneField =
      "Received 1 parameter(s):\n[0] field=hello (post=1 file=0 size=0)\n";
};

TEST_F(MultiPart, CurlFormWithAFieldAndAFile) {
  ASSERT_NO_FATAL_FAILURE(startExample("MultiPart"));
  const std::string file = fsRoot() + ".readme";
  std::ofstream(file) << "hello-readme\n";
  Request req;
  req.method = "POST";
  req.path = "/upload";
  req.curlArgs = {"-F", "field=hello", "-F", "file=@" + file + ";filename=README.md"};
  const Response r = http(req);
  std::remove(file.c_str());
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body,
            "Received 2 parameter(s):\n[0] field=hello (post=1 file=0 size=0)\n"
            "[1] file=README.md (post=1 file=1 size=13)\n");
  EXPECT_TRUE(example().waitForText("Upload end:   README.md (13 bytes)", 2s));
}

TEST_F(MultiPart, BoundaryForms) {
  ASSERT_NO_FATAL_FAILURE(startExample("MultiPart"));
  // 2. quoted-string boundary
  EXPECT_EQ(post("multipart/form-data; boundary=\"my-boundary\"", field("my-boundary")).body,
            kOneField);
  // 3. quoted-pair escape inside the quoted boundary
  EXPECT_EQ(post("multipart/form-data; boundary=\"my-\\\"bnd\\\"\"", field("my-\"bnd\"")).body,
            kOneField);
  // 4. whitespace after "boundary="
  EXPECT_EQ(post("multipart/form-data; boundary=   simple", field("simple")).body, kOneField);
  // 5. "boundary=" inside another parameter's quoted value is not the boundary
  EXPECT_EQ(
      post("multipart/form-data; foo=\"x; boundary=fake\"; boundary=real", field("real")).body,
      kOneField);
  // 70 characters: the longest allowed
  const std::string b70(70, 'b');
  EXPECT_EQ(post("multipart/form-data; boundary=" + b70, field(b70)).body, kOneField);
}

TEST_F(MultiPart, InvalidBoundariesAbortTheRequest) {
  // The parser aborts the connection (no answer) rather than answering 400; the server
  // must stay up for the next request.
  ASSERT_NO_FATAL_FAILURE(startExample("MultiPart"));
  const std::string b71 = std::string(70, 'a') + "X";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"multipart/form-data; x-boundary=notreal", field("notreal")},            // 6
      {"multipart/form-data; boundary=" + b71, field(b71)},                     // 7
      {"multipart/form-data; boundary=", field("")},                            // 8
      {"multipart/form-data; boundary=\"unterminated", field("unterminated")},  // 9
      {"multipart/form-data; boundary=\"\"", field("")},                        // 10
  };
  for (const auto &[type, body] : cases) {
    const Response r = post(type, body);
    EXPECT_EQ(r.status, 0) << type << " answered " << r.status << ": " << r.body;
    EXPECT_EQ(get("/nothing").status, 404) << "the server stopped answering after " << type;
  }
}

TEST_F(MultiPart, BoundaryInsideFileDataDoesNotCrash) {
  // 11. (GHSA-8m8p-vhxc-jmjw): "--X" in the file body followed by neither "--" nor CR LF.
  ASSERT_NO_FATAL_FAILURE(startExample("MultiPart"));
  const Response r =
      post("multipart/form-data; boundary=X",
           "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
           "Content-Type: text/plain\r\n\r\nhello\r\n--X\tjunk\r\n--X--\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.rfind("Received 2 parameter(s):\n[0] file=f.txt (post=1 file=1 size=5)\n", 0),
            0u)
      << r.body;
  EXPECT_TRUE(example().running());
  EXPECT_EQ(get("/nothing").status, 404);
}

TEST_F(MultiPart, LargeFilePartIsCountedWhole) {
  ASSERT_NO_FATAL_FAILURE(startExample("MultiPart"));
  const std::string path = fsRoot() + ".large";
  std::ofstream(path, std::ios::binary) << binaryBlob(2 * 1000 * 1000);
  const Download d = download("/upload", {"-F", "f=@" + path + ";filename=large.bin"});
  std::remove(path.c_str());
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_EQ(d.body, "Received 1 parameter(s):\n[0] f=large.bin (post=1 file=1 size=2000000)\n");
  EXPECT_TRUE(example().waitForText("Upload end:   large.bin (2000000 bytes)", 2s))
      << tail(example().out());
}

class UploadFlash : public StreamExampleTest {};

TEST_F(UploadFlash, ServesNoRouteOnAHost) {
  // Its /flash route (Update.h, ESP32 only) is compiled out: the server runs, empty.
  ASSERT_NO_FATAL_FAILURE(startExample("UploadFlash"));
  Request req;
  req.method = "POST";
  req.path = "/flash?name=Bill";
  req.curlArgs = {"-F", "name=Bob"};
  EXPECT_EQ(http(req).status, 404);
}

}  // namespace
}  // namespace webtest
