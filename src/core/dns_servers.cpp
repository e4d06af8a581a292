#include "AsyncTCP.h"
#include "backends/backend.h"
#include "core/service.h"

namespace asynctcp {

bool setDnsServers(const char *csv) {
  return Service::get([&] { return backend::setDnsServers(csv); });
}

}  // namespace asynctcp
