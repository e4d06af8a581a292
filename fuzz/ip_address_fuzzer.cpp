// Fuzzes IPAddress::fromString: memory safety on any text, agreement with inet_pton, and the
// round trip fromString(toString(a)) == a.
#include "asynctcp/IPAddress.h"

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond))         \
      __builtin_trap();  \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 512)
    return 0;
  const std::string text(reinterpret_cast<const char *>(data), size);
  const char *s = text.c_str();  // stops at an embedded NUL, as a C caller's string would

  IPAddress a;
  const bool ok = a.fromString(s);
  IPAddress viaString;
  FUZZ_CHECK(viaString.fromString(text) == ok);
  FUZZ_CHECK(IPAddress(s) == (ok ? a : IPAddress()));

  uint8_t buf[16];
  if (inet_pton(AF_INET, s, buf) == 1) {
    FUZZ_CHECK(ok && a.isV4());
    FUZZ_CHECK(std::memcmp(a.raw4(), buf, 4) == 0);
  } else if (std::strchr(s, '%') == nullptr && inet_pton(AF_INET6, s, buf) == 1) {
    FUZZ_CHECK(ok && a.isV6());
    FUZZ_CHECK(std::memcmp(a.raw6(), buf, 16) == 0);
  } else if (std::strchr(s, '%') == nullptr) {
    FUZZ_CHECK(!ok);
  }
  if (!ok)
    return 0;

  const std::string printed = a.toString();
  FUZZ_CHECK(!printed.empty());
  IPAddress back;
  FUZZ_CHECK(back.fromString(printed));
  FUZZ_CHECK(back.type() == a.type());
  if (a.isV4()) {
    FUZZ_CHECK(back == a);
    FUZZ_CHECK(uint32_t(back) == uint32_t(a));
    for (int i = 0; i < 4; ++i)
      FUZZ_CHECK(back[i] == a[i]);
  } else {
    FUZZ_CHECK(std::memcmp(back.raw6(), a.raw6(), 16) == 0);  // the zone is not printed
  }
  (void)a.isAny();
  return 0;
}
