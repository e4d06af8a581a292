// Fuzzes the DNS server-list validator (the list handed to c-ares). Besides memory safety
// (and no exception escaping), an accepted list never names a port outside 1..65535.
#include "backends/cares/server_list.h"

#include <cstddef>
#include <cstdint>
#include <string>

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond))         \
      __builtin_trap();  \
  } while (0)

namespace {

// The port text of one list item, if it names one: "[v6]:port" or "v4:port" (a single colon;
// more colons make a bare v6 address).
bool portOf(const std::string &item, std::string &port) {
  if (!item.empty() && item[0] == '[') {
    const size_t close = item.find(']');
    if (close == std::string::npos || close + 1 >= item.size())
      return false;
    port = item.substr(close + 2);
    return true;
  }
  const size_t first = item.find(':');
  if (first == std::string::npos || item.find(':', first + 1) != std::string::npos)
    return false;
  port = item.substr(first + 1);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  const std::string csv(reinterpret_cast<const char *>(data), size);
  bool valid = false;
  try {
    valid = asynctcp::backend::dnsServerPortsValid(csv.c_str());
  } catch (...) {
    __builtin_trap();  // the library is built for callers without exceptions
  }
  if (!valid)
    return 0;
  const std::string list(csv.c_str());  // what the validator saw
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos)
      end = list.size();
    const std::string item = list.substr(start, end - start);
    std::string port;
    if (portOf(item, port)) {
      FUZZ_CHECK(!port.empty() && port.size() <= 5);
      unsigned long v = 0;
      for (char c : port) {
        FUZZ_CHECK(c >= '0' && c <= '9');
        v = v * 10 + unsigned(c - '0');
      }
      FUZZ_CHECK(v >= 1 && v <= 65535);
    }
    start = end + 1;
  }
  return 0;
}
