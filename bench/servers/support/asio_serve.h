// The part of an Asio benchmark server that is the same for every workload: an acceptor on
// 127.0.0.1, TCP_NODELAY, one Session (make_shared, start()) per connection, io_context::run.
#pragma once

#include <asio.hpp>

#include <cstdio>
#include <memory>

#include "support/server_process.h"

namespace bench {

template <class Session>
void asioAccept(asio::ip::tcp::acceptor &acceptor) {
  acceptor.async_accept([&acceptor](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (!ec) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket))->start();
    }
    asioAccept<Session>(acceptor);
  });
}

template <class Session>
int serveAsio(const char *name, int argc, char **argv) {
  using asio::ip::tcp;
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
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
    acceptor.listen(kListenBacklog, ec);
  if (ec) {
    std::fprintf(stderr, "%s: cannot listen: %s\n", name, ec.message().c_str());
    return 1;
  }
  asioAccept<Session>(acceptor);
  announcePort(acceptor.local_endpoint().port());
  io.run();
  return 0;
}

}  // namespace bench
