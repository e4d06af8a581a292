// AsyncTCP.h includes <IPAddress.h> when ARDUINO is defined, as on ESP32. On Linux the
// class is the library's own, so sketches and the library share one IPAddress.
#pragma once

#include "asynctcp/IPAddress.h"
