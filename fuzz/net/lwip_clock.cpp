// lwIP's clock on the fuzzers' (virtual_clock.h): the executable's sys_now() takes the
// place of liblwip's, which the library calls through its PLT.
extern "C" {
#include "lwip/sys.h"
}

#include "net/virtual_clock.h"

extern "C" u32_t sys_now(void) {
  return u32_t(fuzz::clock::nowUs() / 1000);
}
