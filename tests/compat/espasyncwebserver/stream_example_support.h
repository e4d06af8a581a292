// Helpers for the example tests that stream (large downloads, uploads, WebSocket, Server-Sent
// Events): clients that run while the example's output keeps being drained (examples print
// per chunk or per frame, and a full stdout pipe would block them), several clients at
// once, downloads to a file, and a WebSocket client that skips an example's own periodic
// broadcasts (peers/ws_script.py).
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "web_example_fixture.h"

namespace webtest {

struct Finished {
  int status = -1;  // wait status; -1: killed at the timeout
  std::string out, err;
  bool ok() const { return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

struct Download {
  int code = 0;                                // HTTP status, 0 when curl got none
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  double seconds = 0;
  Finished curl;
  std::string header(const std::string &lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
  }
};

class StreamExampleTest : public WebExampleTest {
protected:
  // Runs the programs at once to their end (or kills them at the timeout), draining
  // their output and the example's meanwhile.
  std::vector<Finished> runAll(const std::vector<std::vector<std::string>> &argvs,
                               milliseconds timeout) {
    std::vector<std::unique_ptr<ChildProcess>> children;
    std::vector<Finished> results(argvs.size());
    for (const auto &argv : argvs) {
      children.push_back(std::make_unique<ChildProcess>());
      EXPECT_TRUE(children.back()->start(argv)) << children.back()->error();
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool any = false;
      for (auto &c : children) {
        c->pump();
        any = any || c->running();
      }
      example().pump(5ms);
      if (!any || std::chrono::steady_clock::now() >= deadline)
        break;
    }
    for (size_t i = 0; i < children.size(); ++i) {
      ChildProcess &c = *children[i];
      if (c.running()) {
        c.signal(SIGKILL);
        c.waitExit(5s);
        results[i].status = -1;
      } else {
        results[i].status = c.waitExit(1s);
      }
      results[i].out = c.out();
      results[i].err = c.err();
    }
    example().pump();
    return results;
  }
  Finished run(const std::vector<std::string> &argv, milliseconds timeout) {
    return runAll({argv}, timeout).front();
  }

  // peers/ws_script.py on port 80 (see its docstring); the test fails unless it exits 0.
  static std::vector<std::string> wsScriptArgv(const std::vector<std::string> &script) {
    std::vector<std::string> argv = {"python3", sketchtest::peerPath("ws_script.py"), "127.0.0.1",
                                     "80"};
    argv.insert(argv.end(), script.begin(), script.end());
    return argv;
  }
  std::string wsScript(const std::vector<std::string> &script, milliseconds timeout = 30s) {
    const Finished f = run(wsScriptArgv(script), timeout);
    EXPECT_TRUE(f.ok()) << "ws_script.py " << (f.status == -1 ? "timed out" : "failed") << ":\n"
                        << f.out << f.err << "\nexample stdout tail:\n"
                        << tail(example().out());
    return f.out;
  }

  // curl to files: headers, body, status and time (for bodies too large to keep in a pipe).
  Download download(const std::string &path, const std::vector<std::string> &extra = {},
                    milliseconds timeout = 30s) {
    const std::string base = fsRoot() + ".dl" + std::to_string(++_downloads);
    std::vector<std::string> argv = {"curl",       "-sS",
                                     "--max-time", std::to_string(timeout.count() / 1000),
                                     "-D",         base + ".head",
                                     "-o",         base + ".body",
                                     "-w",         "%{http_code} %{time_total}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url(path));
    Download d;
    d.curl = run(argv, timeout + 5s);
    std::istringstream w(d.curl.out);
    w >> d.code >> d.seconds;
    d.body = slurp(base + ".body");
    std::istringstream head(slurp(base + ".head"));
    for (std::string line; std::getline(head, line);) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos || line.rfind("HTTP/", 0) == 0)
        continue;
      std::string name = line.substr(0, colon);
      for (char &ch : name)
        ch = char(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      d.headers[name] = value;
    }
    std::error_code ec;
    std::filesystem::remove(base + ".head", ec);
    std::filesystem::remove(base + ".body", ec);
    return d;
  }

  // argv of curl reading an event stream (Accept: text/event-stream, which AsyncEventSource
  // requires) for `seconds`.
  static std::vector<std::string> sseArgv(const std::string &path, double seconds) {
    return {"curl",
            "-sS",
            "-N",
            "-H",
            "Accept: text/event-stream",
            "--max-time",
            std::to_string(seconds),
            url(path)};
  }

  static std::string tail(const std::string &s, size_t n = 2000) {
    return s.size() > n ? s.substr(s.size() - n) : s;
  }
  static std::string slurp(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static size_t count(const std::string &text, const std::string &what) {
    size_t n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size()))
      ++n;
    return n;
  }

private:
  int _downloads = 0;
};

}  // namespace webtest
