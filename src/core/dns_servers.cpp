#include "AsyncTCP.h"
#include "backends/backend.h"
#include "core/service.h"

namespace asynctcp {

bool setDnsServers(const char *csv) {
  return Service::call([&] { return backend::setDnsServers(csv); });
}

}  // namespace asynctcp
