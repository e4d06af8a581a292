// asio_http: idiomatic Asio (standalone): a shared_ptr session per connection with its own
// read buffer (8 KiB, as in Asio's HTTP server example), async_read_some, then async_write of
// the responses the read completed (from a static block), then read again. With --tls CERT
// KEY the stream is asio::ssl's (the TLS rows); with --close each request gets "Connection:
// close" and the session ends (close_notify over TLS).
#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "support/asio_serve.h"
#include "support/http_hello.h"
#include "support/server_process.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;

bool g_close = false;

template <class StreamType>
class HttpSession : public std::enable_shared_from_this<HttpSession<StreamType>> {
public:
  using Stream = StreamType;
  explicit HttpSession(Stream stream) : _socket(std::move(stream)) {}
  void start() {
    auto self = this->shared_from_this();
    bench::asioBegin(_socket, [this, self] { read(); });
  }

private:
  void read() {
    auto self = this->shared_from_this();
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
    auto self = this->shared_from_this();
    if (g_close) {
      asio::async_write(_socket,
                        asio::buffer(bench::http::kResponseClose, bench::http::kResponseCloseSize),
                        [this, self](asio::error_code ec, size_t) {
                          if (!ec)
                            bench::asioEnd(_socket, self);
                        });
      return;
    }
    size_t count = std::min(_owed, kBatch);
    asio::async_write(_socket, asio::buffer(bench::http::responseBlock(), count * kResponseSize),
                      [this, self, count](asio::error_code ec, size_t) {
                        if (ec)
                          return;
                        _owed -= count;
                        respond();
                      });
  }

  Stream _socket;
  std::array<char, 8192> _data;
  bench::http::RequestCounter _requests;
  size_t _owed = 0;
};

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    g_close = g_close || std::string(argv[i]) == "--close";
  return bench::serveAsio<HttpSession>("asio_http", argc, argv);
}
