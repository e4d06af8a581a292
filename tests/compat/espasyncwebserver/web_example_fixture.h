// The fixture of the ESPAsyncWebServer example tests: each test runs one example, built
// unchanged (tests/compat/espasyncwebserver/CMakeLists.txt), in a network namespace of its
// own (the examples bind port 80), with a host directory of its own as LittleFS, and
// checks what the example promises with real clients: curl, a Python WebSocket client.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sketch_fixture.h"

namespace webtest {

using namespace std::chrono_literals;
using sketchtest::ChildProcess;
using std::chrono::milliseconds;

struct Response {
  int status = 0;                              // 0: no answer (curl failed); see error
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;
  std::string error;  // curl's stderr and exit status when it failed
  std::string header(const std::string &lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
  }
};

struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::string> headers;   // "Name: value"
  std::string body;                   // sent as is (--data-binary) when not empty
  std::vector<std::string> curlArgs;  // anything else (-F, -u, --digest, --limit-rate ...)
  milliseconds timeout = 20s;
};

class WebExampleTest : public sketchtest::SketchTest {
protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the example (its binary name) and waits until port 80 accepts connections.
  void startExample(const std::string &name, const std::vector<std::string> &env = {});
  // The host directory the example sees as LittleFS/SPIFFS (ASYNCTCP_FS_ROOT).
  const std::string &fsRoot() const { return _fsRoot; }
  void writeFsFile(const std::string &path, const std::string &content);
  bool fsFileExists(const std::string &path) const;
  std::string readFsFile(const std::string &path) const;

  Response http(const Request &request);
  Response get(const std::string &path, std::vector<std::string> headers = {}) {
    Request r;
    r.path = path;
    r.headers = std::move(headers);
    return http(r);
  }
  // A Python WebSocket client (peers/ws_client.py) running `script` (see that file);
  // returns its stdout; the test fails if it exits non-zero.
  std::string webSocket(const std::vector<std::string> &script, milliseconds timeout = 30s);
  // Reads an event stream (curl -N, Accept: text/event-stream, which AsyncEventSource
  // requires) for `duration`; returns what arrived.
  std::string eventStream(const std::string &path, milliseconds duration);

  ChildProcess &example() { return _example; }
  static std::string url(const std::string &path) { return "http://127.0.0.1" + path; }

private:
  ChildProcess _example;
  std::string _fsRoot;
};

}  // namespace webtest
