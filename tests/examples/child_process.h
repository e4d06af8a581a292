// A program the tests start and stop: its stdout and stderr go to a pipe that the test
// reads line by line with a deadline, so a child that hangs fails the test instead of
// hanging it. The destructor stops the child (SIGTERM, then SIGKILL) and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace tst {

class ChildProcess {
public:
  // argv[0] is the program, looked up in PATH. `env` entries ("NAME=value") are added to ours.
  ChildProcess(const std::vector<std::string> &argv, const std::vector<std::string> &env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  bool started() const { return _pid > 0; }
  // The next line whose text contains `needle`; "" (and false) at the deadline or EOF.
  bool waitForLine(const std::string &needle, std::string &line, std::chrono::milliseconds timeout);
  // Everything the child printed so far (for failure messages).
  const std::string &output() const { return _all; }
  // Waits for the child to end by itself and returns its exit status (-1 after the
  // deadline: it is killed then).
  int wait(std::chrono::milliseconds timeout);
  // SIGTERM, then the exit status (-1 if it had to be killed or did not exit normally).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

private:
  bool readMore(std::chrono::steady_clock::time_point deadline);
  int reap(std::chrono::steady_clock::time_point deadline);

  pid_t _pid = -1;
  int _out = -1;
  std::string _pending;  // read, not yet split into lines
  std::string _all;
};

}  // namespace tst
