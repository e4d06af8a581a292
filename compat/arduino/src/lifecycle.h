// How a sketch process stops. SIGINT/SIGTERM set a flag and make a pipe readable;
// delay() sleeps on that pipe, so a stop request cuts every delay short and loop()
// returns promptly. The process then ends with _exit after flushing output: an ESP32
// sketch never tears its globals down, and doing so here would race with callbacks
// still running on the AsyncTCP thread.
#pragma once

#include <cstdint>

namespace asynctcp::arduino {

// Installs the SIGINT/SIGTERM handlers. Call once, before setup().
bool installStopSignals();
bool stopRequested();
void requestStop();
// Sleeps up to ms; returns early (false) when a stop was requested.
bool sleepUnlessStopped(uint64_t ms);
// Flushes stdout and stderr and ends the process with `status`.
[[noreturn]] void exitNow(int status);

}  // namespace asynctcp::arduino
