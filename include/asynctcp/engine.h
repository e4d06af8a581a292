// Which engine moves a Linux build's bytes: io_uring where the kernel and the process
// allow it, epoll otherwise (the lwIP build has one: "lwip"). Chosen once, when the
// library starts: by setEngine() if the program called it before, else by the
// environment variable ASYNCTCP_ENGINE=io_uring|epoll|auto (auto, the default, takes
// io_uring when it works here). Linux only: ESP32 has no such choice.
#pragma once

#define ASYNCTCP_HAS_ENGINE_CHOICE 1

namespace asynctcp {

// "io_uring", "epoll" or "lwip". Starts the library if it has not started yet.
const char *engineName();

// Before the library's first use: "io_uring", "epoll" or "auto". An io_uring the kernel
// refuses falls back to epoll (and says why on stderr). Returns false for an unknown
// name, or once the library has started (the engine is then fixed).
bool setEngine(const char *name);

}  // namespace asynctcp
