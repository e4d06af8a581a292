// The load processes of a scale run (asynctcp_scale_load). A process may hold only as many
// sockets as RLIMIT_NOFILE allows, and only a privileged process can raise the hard limit,
// so the connections are split over as many processes as the limit requires. Each process
// reports in lines ("ramped ...", "quiet ...", "result ..."); a fleet's line is the sum of
// theirs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace scale {

struct RunConfig;
using Fields = std::map<std::string, uint64_t>;  // "key=value" words of a line

class LoadFleet {
public:
  LoadFleet();
  ~LoadFleet();
  // Starts the processes; false with the reason when one could not start.
  bool start(const RunConfig &c, uint16_t port, std::string &error);
  size_t size() const { return _procs.size(); }
  void signalAll(int sig);
  bool allRunning();
  // Waits for the next line starting with `prefix` from every process; false (with whatever
  // was summed) on timeout or when a process exited first.
  bool waitAll(const std::string &prefix, std::chrono::milliseconds timeout, Fields *sum);
  // Waits for every process to exit: 0 when each exited with 0, else the first other status.
  int waitExitAll(std::chrono::milliseconds timeout);
  std::string errTail();  // the end of every process's stderr
  void close();           // kills what still runs and closes the pipes

  // How many processes `conns` connections need at `perProcess` each at most.
  static size_t processesFor(size_t conns, size_t perProcess);
  // The most connections one load process may hold under this process's hard fd limit.
  static size_t perProcessLimit(uint32_t parallel);

private:
  struct Proc;
  std::vector<std::unique_ptr<Proc>> _procs;
};

}  // namespace scale
