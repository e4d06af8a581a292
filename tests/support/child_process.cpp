#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char **environ;

namespace tst {
namespace {

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

void closeFd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(_pid, SIGKILL);
    waitExit(milliseconds(5000));
  }
  closeFd(_in);
  closeFd(_outFd);
  closeFd(_errFd);
}

bool ChildProcess::start(const std::vector<std::string> &argv,
                         const std::vector<std::string> &env) {
  // O_CLOEXEC: a later child must not inherit this one's pipes (nc would then never
  // see its peer's end).
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    _error = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char *> envp;
  for (char **e = environ; *e; ++e)
    envp.push_back(*e);
  for (const std::string &e : env)
    envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  const int rc = posix_spawnp(&_pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  _in = in[1];
  _outFd = out[0];
  _errFd = err[0];
  fcntl(_outFd, F_SETFL, O_NONBLOCK);
  fcntl(_errFd, F_SETFL, O_NONBLOCK);
  if (rc != 0) {
    _pid = -1;
    _error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return false;
  }
  return true;
}

void ChildProcess::drain(int &fd, std::string &into) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0)
      closeFd(fd);  // EOF
    return;
  }
}

void ChildProcess::pump(milliseconds wait) {
  pollfd p[2] = {{_outFd, POLLIN, 0}, {_errFd, POLLIN, 0}};
  if (_outFd < 0 && _errFd < 0) {
    std::this_thread::sleep_for(wait);
    return;
  }
  ::poll(p, 2, static_cast<int>(wait.count()));
  if (_outFd >= 0)
    drain(_outFd, _out);
  if (_errFd >= 0)
    drain(_errFd, _err);
}

bool ChildProcess::waitForOutput(const std::function<bool(const std::string &)> &pred,
                                 milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pump();
    if (pred(_out))
      return true;
    if (Clock::now() >= deadline)
      return false;
    pump(milliseconds(std::min(msLeft(deadline), 50)));
  }
}

bool ChildProcess::waitForText(const std::string &text, milliseconds timeout) {
  return waitForOutput([&](const std::string &out) { return out.find(text) != std::string::npos; },
                       timeout);
}

std::string ChildProcess::read(size_t max, milliseconds timeout) {
  if (_outFd < 0)
    return "";
  pollfd p{_outFd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return "";
  std::string data(max, '\0');
  const ssize_t n = ::read(_outFd, &data[0], max);
  if (n <= 0) {
    if (n == 0)
      closeFd(_outFd);
    return "";
  }
  data.resize(static_cast<size_t>(n));
  return data;
}

bool ChildProcess::running() {
  if (_pid <= 0)
    return false;
  int status;
  const pid_t r = ::waitpid(_pid, &status, WNOHANG);
  if (r == _pid) {
    _status = status;
    _pid = -1;
    return false;
  }
  return r == 0;
}

void ChildProcess::signal(int sig) {
  if (_pid > 0)
    ::kill(_pid, sig);
}

int ChildProcess::waitExit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline)
      return -1;
    pump(milliseconds(20));  // keep the pipes flowing so the child can finish writing
  }
  pump();
  return _status;
}

}  // namespace tst
