// asio_echo: idiomatic Asio (standalone), the shape of its own async_tcp_echo_server example:
// a shared_ptr session per connection that owns its buffer, async_read_some into it, then
// async_write of what was read, then read again. Reading waits while a write is pending, which
// is the back-pressure. The session buffer is the read size every peer uses; being owned per
// connection (a pending read needs its buffer), it is part of Asio's memory per connection.
#include <asio.hpp>

#include <array>
#include <cstdio>
#include <memory>

#include "support/server_process.h"

namespace {

using asio::ip::tcp;

class EchoSession : public std::enable_shared_from_this<EchoSession> {
public:
  explicit EchoSession(tcp::socket socket) : _socket(std::move(socket)) {}
  void start() { read(); }

private:
  void read() {
    auto self = shared_from_this();
    _socket.async_read_some(asio::buffer(_data), [this, self](asio::error_code ec, size_t n) {
      if (!ec)
        write(n);
    });
  }

  void write(size_t n) {
    auto self = shared_from_this();
    asio::async_write(_socket, asio::buffer(_data, n), [this, self](asio::error_code ec, size_t) {
      if (!ec)
        read();
    });
  }

  tcp::socket _socket;
  std::array<char, bench::kReadSize> _data;
};

void accept(tcp::acceptor &acceptor) {
  acceptor.async_accept([&acceptor](asio::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<EchoSession>(std::move(socket))->start();
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
    std::fprintf(stderr, "asio_echo: cannot listen: %s\n", ec.message().c_str());
    return 1;
  }
  accept(acceptor);
  bench::announcePort(acceptor.local_endpoint().port());
  io.run();
}
