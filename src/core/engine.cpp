// The engine choice's public face (include/asynctcp/engine.h): Linux hosts only.
#if !defined(ESP_PLATFORM)

#include "asynctcp/engine.h"

#include "backends/backend.h"
#include "core/service.h"

namespace asynctcp {

const char *engineName() {
  return Service::query([] { return backend::engineName(); });  // starts the library
}

bool setEngine(const char *name) {
  return backend::requestEngine(name);
}

}  // namespace asynctcp

#endif  // !defined(ESP_PLATFORM)
