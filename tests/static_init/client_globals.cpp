// A global client whose handlers are set by a global constructor, and a name-server
// setting made before main() (the DNS state must already be usable then).
#include "globals.h"

namespace staticinit {

std::atomic<bool> g_dnsServersSetAtInit{false};

GlobalClient::GlobalClient() {
  client.onConnect([this](void *, AsyncClient *) { connected = true; });
  client.onData([this](void *, AsyncClient *, void *data, size_t len) {
    std::lock_guard<std::mutex> g(lock);
    received.append(static_cast<const char *>(data), len);
  });
  client.setRxTimeout(30);
  client.setNoDelay(true);
}

GlobalClient::~GlobalClient() {
  client.close();
}

GlobalClient g_client;

namespace {
struct SetDns {
  // The system's resolver configuration is the default; a list set this early must hold.
  SetDns() { g_dnsServersSetAtInit = asynctcp::setDnsServers("127.0.0.1:53"); }
} g_setDns;
}  // namespace

}  // namespace staticinit
