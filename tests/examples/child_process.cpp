#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace tst {

using Clock = std::chrono::steady_clock;

ChildProcess::ChildProcess(const std::vector<std::string> &argv,
                           const std::vector<std::string> &env) {
  int fds[2];
  if (argv.empty() || pipe2(fds, O_CLOEXEC) != 0)
    return;
  // Everything the child needs is built before fork(): only async-signal-safe calls after.
  std::vector<char *> args, envp;
  for (const auto &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  for (char **e = environ; *e; ++e)
    envp.push_back(*e);
  for (const auto &e : env)
    envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  _pid = fork();
  if (_pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  _out = fds[0];
  if (_pid < 0) {
    close(_out);
    _out = -1;
  }
}

ChildProcess::~ChildProcess() {
  if (_pid > 0)
    stop(std::chrono::milliseconds(2000));
  if (_out >= 0)
    close(_out);
}

bool ChildProcess::readMore(Clock::time_point deadline) {
  if (_out < 0)
    return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0)
    return false;
  pollfd p{_out, POLLIN, 0};
  if (poll(&p, 1, int(left.count())) <= 0)
    return false;
  char buf[4096];
  ssize_t n = read(_out, buf, sizeof buf);
  if (n <= 0) {
    close(_out);
    _out = -1;
    return false;
  }
  _pending.append(buf, size_t(n));
  _all.append(buf, size_t(n));
  return true;
}

bool ChildProcess::waitForLine(const std::string &needle, std::string &line,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t eol;
    while ((eol = _pending.find('\n')) != std::string::npos) {
      std::string l = _pending.substr(0, eol);
      _pending.erase(0, eol + 1);
      if (l.find(needle) != std::string::npos) {
        line = l;
        return true;
      }
    }
    if (!readMore(deadline)) {
      line.clear();
      return false;
    }
  }
}

int ChildProcess::reap(Clock::time_point deadline) {
  int status = 0;
  pid_t r;
  while ((r = waitpid(_pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    // Keep the pipe drained, or a chatty child blocks on a full pipe and never ends.
    if (!readMore(std::min(deadline, Clock::now() + std::chrono::milliseconds(10))))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (r == 0) {
    kill(_pid, SIGKILL);
    waitpid(_pid, &status, 0);
    _pid = -1;
    return -1;
  }
  _pid = -1;
  while (readMore(Clock::now() + std::chrono::milliseconds(100))) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  return _pid > 0 ? reap(Clock::now() + timeout) : -1;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (_pid <= 0)
    return -1;
  kill(_pid, SIGTERM);
  return reap(Clock::now() + grace);
}

}  // namespace tst
