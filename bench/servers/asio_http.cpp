// asio_http: idiomatic Asio (standalone): a shared_ptr session per connection with its own
// read buffer (8 KiB, as in Asio's HTTP server example), async_read_some, then async_write of
// the responses the read completed (from a static block), then read again.
#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

#include "support/asio_serve.h"
#include "support/http_hello.h"
#include "support/server_process.h"

namespace {

using asio::ip::tcp;
using bench::http::kBatch;
using bench::http::kResponseSize;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
  explicit HttpSession(tcp::socket socket) : _socket(std::move(socket)) {}
  void start() { read(); }

private:
  void read() {
    auto self = shared_from_this();
    _socket.async_read_some(asio::buffer(_data), [this, self](asio::error_code ec, size_t n) {
      if (ec)
        return;
      _owed += _requests.feed(_data.data(), n);
      respond();
    });
  }

  void respond() {
    if (_owed == 0)
      return read();
    size_t count = std::min(_owed, kBatch);
    auto self = shared_from_this();
    asio::async_write(_socket, asio::buffer(bench::http::responseBlock(), count * kResponseSize),
                      [this, self, count](asio::error_code ec, size_t) {
                        if (ec)
                          return;
                        _owed -= count;
                        respond();
                      });
  }

  tcp::socket _socket;
  std::array<char, 8192> _data;
  bench::http::RequestCounter _requests;
  size_t _owed = 0;
};

}  // namespace

int main(int argc, char **argv) {
  return bench::serveAsio<HttpSession>("asio_http", argc, argv);
}
