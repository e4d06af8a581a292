// A child program for the tests that drive real programs (examples, sketches, peers such as
// nc and curl): started with stdin a pipe that stays open (so
// peers such as nc never see end of input), stdout and stderr captured through
// non-blocking pipes. The destructor kills and reaps a child still running, so no test
// leaves processes behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tst {

using std::chrono::milliseconds;

class ChildProcess {
public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // argv[0] is looked up in PATH; `env` entries ("NAME=value") are added to ours. Returns
  // false (with the reason in error()) if it cannot be started.
  bool start(const std::vector<std::string> &argv, const std::vector<std::string> &env = {});
  const std::string &error() const { return _error; }
  pid_t pid() const { return _pid; }

  // Collects whatever stdout and stderr have ready, waiting up to `wait` for some.
  void pump(milliseconds wait = milliseconds(0));
  const std::string &out() const { return _out; }
  const std::string &err() const { return _err; }
  // Pumps until pred(out()) holds or the timeout passes; returns pred's last value.
  bool waitForOutput(const std::function<bool(const std::string &)> &pred, milliseconds timeout);
  bool waitForText(const std::string &text, milliseconds timeout);

  // For stream peers: reads up to `max` bytes of stdout straight to the caller (not
  // into out()), waiting up to `timeout` for the first of them. "" on timeout or EOF.
  std::string read(size_t max, milliseconds timeout);

  bool running();
  void signal(int sig);
  // Waits for the child to end; returns its wait status, or -1 on timeout.
  int waitExit(milliseconds timeout);

private:
  void drain(int &fd, std::string &into);

  pid_t _pid = -1;
  int _status = -1;
  int _in = -1, _outFd = -1, _errFd = -1;
  std::string _out, _err, _error;
};

}  // namespace tst
