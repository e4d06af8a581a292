// A plain TCP client for the tests that play a misbehaving peer (one that drips its request,
// pipelines without reading, never reads) and for the well-behaved client that must be served
// meanwhile. Blocking calls, each bounded by a timeout.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace examples {

class WireClient {
public:
  // Connects to `host` (numeric, v4, or v6 without brackets); `receiveBuffer` > 0 sets
  // SO_RCVBUF first, so a peer that never reads stalls the sender after a few KiB.
  WireClient(const std::string &host, int port, int receiveBuffer = 0);
  ~WireClient();
  WireClient(const WireClient &) = delete;
  WireClient &operator=(const WireClient &) = delete;

  bool connected() const { return _fd >= 0; }
  // Sends all of `data`; false if the connection failed or did not take it within `timeout`.
  bool send(std::string_view data, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Sends what the kernel takes now, without waiting; how many bytes.
  size_t sendSome(std::string_view data);
  // Reads until the peer ends the connection or `timeout` passes; what arrived.
  std::string readToEnd(std::chrono::milliseconds timeout);
  // Reads until `n` bytes arrived, the peer ended the connection or `timeout` passed.
  std::string read(size_t n, std::chrono::milliseconds timeout);
  // Reads until what arrived contains `text`, the peer ended the connection or `timeout` passed.
  std::string readUntil(std::string_view text, std::chrono::milliseconds timeout);
  // Whether the peer ended the connection (FIN or RST) within `timeout`, without reading
  // what it sent before.
  bool endedByPeer(std::chrono::milliseconds timeout);

private:
  // Appends what one read gives (at most `max`), waiting until `deadline` for it; false on
  // timeout or at the end.
  bool receiveSome(std::string &into, size_t max, std::chrono::steady_clock::time_point deadline);

  int _fd = -1;
  bool _eof = false;
};

// GET / on a new connection with "Connection: close", as a well-behaved client does: the
// answer, and in `took` how long it took (the timeout if it did not finish).
std::string fetchHello(const std::string &host, int port, std::chrono::milliseconds &took);

}  // namespace examples
