// asio_http: idiomatic Asio (standalone): a shared_ptr session per connection with its own
// read buffer (8 KiB, as in Asio's HTTP server example), async_read_some, then async_write of
// the responses the read completed (from a static block), then read again.
#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

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

void accept(tcp::acceptor &acceptor) {
  acceptor.async_accept([&acceptor](asio::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char **argv) {
  bench::ServerArgs args = bench::parseServerArgs(argc, argv);
  bench::startServerProcess(args);
  asio::io_context io(1);  // one thread runs the loop
  tcp::acceptor acceptor(io);
  asio::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), args.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(bench::kListenBacklog, ec);
  if (ec) {
    std::fprintf(stderr, "asio_http: cannot listen: %s\n", ec.message().c_str());
    return 1;
  }
  accept(acceptor);
  bench::announcePort(acceptor.local_endpoint().port());
  io.run();
}
