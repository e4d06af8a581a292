#include "web_example_fixture.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace webtest {

namespace fs = std::filesystem;

namespace {

bool port80Accepts() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// curl -i output: header blocks (1xx ones first, redirects' with -L), then the body.
Response parseCurl(const std::string &out) {
  Response r;
  size_t pos = 0;
  for (;;) {
    const size_t end = out.find("\r\n\r\n", pos);
    if (out.compare(pos, 5, "HTTP/") != 0 || end == std::string::npos)
      break;
    std::istringstream head(out.substr(pos, end - pos));
    std::string line;
    std::getline(head, line);
    r.status = std::atoi(line.c_str() + line.find(' ') + 1);
    r.headers.clear();
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos)
        continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      std::string &slot = r.headers[lower(line.substr(0, colon))];
      slot = slot.empty() ? value : slot + ", " + value;
    }
    pos = end + 4;
    // 1xx blocks come before the answer; with -L, each redirect's block (and body) too.
    if (r.status >= 300 && r.status < 400) {
      const size_t next = out.find("HTTP/", pos);
      if (next != std::string::npos && out.find("\r\n\r\n", next) != std::string::npos) {
        pos = next;
        continue;
      }
    }
    if (r.status >= 200)
      break;
  }
  r.body = out.substr(pos);
  return r;
}

}  // namespace

void WebExampleTest::SetUp() {
  SketchTest::SetUp();
  if (IsSkipped())
    return;
  char dir[] = "/tmp/aws-fs-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  _fsRoot = dir;
}

void WebExampleTest::TearDown() {
  if (_example.pid() > 0 && _example.running())
    expectCleanStop(_example);
  if (!_fsRoot.empty()) {
    std::error_code ec;
    fs::remove_all(_fsRoot, ec);
  }
}

void WebExampleTest::startExample(const std::string &name, const std::vector<std::string> &env) {
  std::vector<std::string> all = env;
  all.push_back("ASYNCTCP_FS_ROOT=" + _fsRoot);
  ASSERT_TRUE(_example.start({std::string(ASYNCTCP_SKETCH_DIR) + "/" + name}, all))
      << _example.error();
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (!port80Accepts()) {
    _example.pump();
    ASSERT_TRUE(_example.running()) << name << " ended; stdout:\n"
                                    << _example.out() << "\nstderr:\n"
                                    << _example.err();
    ASSERT_LT(std::chrono::steady_clock::now(), end) << name << " never listened on port 80";
    std::this_thread::sleep_for(10ms);
  }
}

void WebExampleTest::writeFsFile(const std::string &path, const std::string &content) {
  const fs::path p = fs::path(_fsRoot) / fs::path(path).relative_path();
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

bool WebExampleTest::fsFileExists(const std::string &path) const {
  return fs::exists(fs::path(_fsRoot) / fs::path(path).relative_path());
}

std::string WebExampleTest::readFsFile(const std::string &path) const {
  std::ifstream in(fs::path(_fsRoot) / fs::path(path).relative_path(), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Response WebExampleTest::http(const Request &request) {
  std::vector<std::string> argv = {
      "curl", "-sS",         "-i", "--max-time", std::to_string(request.timeout.count() / 1000 + 1),
      "-X",   request.method};
  for (const std::string &h : request.headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  if (!request.body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back(request.body);
  }
  argv.insert(argv.end(), request.curlArgs.begin(), request.curlArgs.end());
  argv.push_back(url(request.path));
  ChildProcess curl;
  Response r;
  if (!curl.start(argv)) {
    r.error = curl.error();
    return r;
  }
  const int status = curl.waitExit(request.timeout + 5s);
  _example.pump();
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r = parseCurl(curl.out());
    r.error = "curl status " + std::to_string(status) + ": " + curl.err();
    return r;
  }
  return parseCurl(curl.out());
}

std::string WebExampleTest::webSocket(const std::vector<std::string> &script,
                                      milliseconds timeout) {
  std::vector<std::string> argv = {"python3", sketchtest::peerPath("ws_client.py"), "127.0.0.1",
                                   "80"};
  argv.insert(argv.end(), script.begin(), script.end());
  ChildProcess ws;
  EXPECT_TRUE(ws.start(argv)) << ws.error();
  const int status = ws.waitExit(timeout);
  _example.pump();
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "ws_client.py failed (status " << status << "):\n"
      << ws.out() << "\n"
      << ws.err() << "\nexample stdout tail:\n"
      << _example.out().substr(_example.out().size() > 2000 ? _example.out().size() - 2000 : 0);
  return ws.out();
}

std::string WebExampleTest::eventStream(const std::string &path, milliseconds duration) {
  ChildProcess curl;
  EXPECT_TRUE(curl.start({"curl", "-sS", "-N", "-H", "Accept: text/event-stream", "--max-time",
                          std::to_string(double(duration.count()) / 1000.0), url(path)}))
      << curl.error();
  curl.waitExit(duration + 5s);
  _example.pump();
  return curl.out();
}

}  // namespace webtest
