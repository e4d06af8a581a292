// main() of a sketch: setup() once, then loop() until SIGINT/SIGTERM. Linked into each
// sketch by asynctcp_add_sketch() (not part of the library, so other programs can link
// the layer with their own main()).
#include <chrono>
#include <cstdio>
#include <thread>

#include "Arduino.h"
#include "lifecycle.h"

namespace {

// If loop() never returns (a busy loop without delay()), a stop still ends the process
// after this grace period.
constexpr uint64_t kStopGraceMs = 2000;

void watchForStop() {
  while (asynctcp::arduino::sleepUnlessStopped(60 * 60 * 1000)) {
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(kStopGraceMs));
  std::fprintf(stderr, "sketch: loop() did not return within %llu ms of the stop request\n",
               static_cast<unsigned long long>(kStopGraceMs));
  asynctcp::arduino::exitNow(0);
}

}  // namespace

int main() {
  // Line-buffered even into a pipe, so whoever reads the sketch's output sees each line
  // when it is printed.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!asynctcp::arduino::installStopSignals()) {
    std::perror("sketch: cannot install SIGINT/SIGTERM handlers");
    return 1;
  }
  millis();  // time starts now
  std::thread(watchForStop).detach();
  setup();
  while (!asynctcp::arduino::stopRequested())
    loop();
  asynctcp::arduino::exitNow(0);
}
