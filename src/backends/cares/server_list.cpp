// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

#include "backends/cares/server_list.h"

#include <string>

namespace asynctcp::backend {

bool dnsServerPortsValid(const char *list) {
  std::string csv(list);
  size_t start = 0;
  while (start <= csv.size()) {
    size_t end = csv.find(',', start);
    if (end == std::string::npos)
      end = csv.size();
    std::string item = csv.substr(start, end - start);
    size_t colon = std::string::npos;
    if (!item.empty() && item[0] == '[') {
      size_t close = item.find(']');
      if (close == std::string::npos)
        return false;
      if (close + 1 < item.size()) {
        if (item[close + 1] != ':')
          return false;
        colon = close + 1;
      }
    } else if (item.find(':') == item.rfind(':')) {
      colon = item.find(':');  // v4 with a port; several colons mean a bare v6 address
    }
    if (colon != std::string::npos) {
      std::string port = item.substr(colon + 1);
      if (port.empty() || port.size() > 5 ||
          port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535 ||
          std::stoi(port) == 0)
        return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
