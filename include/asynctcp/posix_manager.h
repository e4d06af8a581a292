// PosixAsyncTCPManager, by name: programs written for PosixAsyncTCP (the Linux AsyncTCP
// that ESPAsyncWebServer's own host build uses) start its poll thread with
// PosixAsyncTCPManager::getInstance().begin(). Here the service thread starts on first
// use and runs until the process exits, so begin() and end() have nothing to do; the
// class exists so that such programs build unchanged. Linux only.
#pragma once

#define ASYNCTCP_HAS_POSIX_ASYNC_TCP_MANAGER 1

class PosixAsyncTCPManager {
public:
  static PosixAsyncTCPManager &getInstance() {
    static PosixAsyncTCPManager manager;  // trivial: constant-initialised
    return manager;
  }
  void begin() {}
  void end() {}  // the service thread is not stopped: clients may still be in use
  bool isRunning() const { return true; }

private:
  PosixAsyncTCPManager() = default;
};
