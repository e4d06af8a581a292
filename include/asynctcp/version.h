// The version macros of ESP32Async/AsyncTCP. ASYNCTCP_VERSION_* name the level of that
// API this library implements (code tests them to pick calls: close() without
// arguments, const accessors, ip_addr_t overloads), not this project's own release,
// which is ASYNCTCP_LIB_VERSION.
#pragma once

#define ASYNCTCP_VERSION_MAJOR 3
#define ASYNCTCP_VERSION_MINOR 5
#define ASYNCTCP_VERSION_PATCH 0

// For comparisons: ASYNCTCP_VERSION_NUM >= ASYNCTCP_VERSION_VAL(3, 4, 0)
#define ASYNCTCP_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ASYNCTCP_VERSION_NUM \
  ASYNCTCP_VERSION_VAL(ASYNCTCP_VERSION_MAJOR, ASYNCTCP_VERSION_MINOR, ASYNCTCP_VERSION_PATCH)

#define ASYNCTCP_STRINGIFY_(s) #s
#define ASYNCTCP_STRINGIFY(s) ASYNCTCP_STRINGIFY_(s)
#define ASYNCTCP_VERSION                     \
  ASYNCTCP_STRINGIFY(ASYNCTCP_VERSION_MAJOR) \
  "." ASYNCTCP_STRINGIFY(ASYNCTCP_VERSION_MINOR) "." ASYNCTCP_STRINGIFY(ASYNCTCP_VERSION_PATCH)

// This project's release.
#define ASYNCTCP_LIB_VERSION "0.1.0"

// The ESP32Async fork's marker: its API (close() without arguments, const accessors)
// is the one implemented here.
#define ASYNCTCP_FORK_ESP32Async
