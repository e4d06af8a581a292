// The part of an Asio benchmark server that is the same for every workload: an acceptor on
// 127.0.0.1, TCP_NODELAY, one Session (make_shared, start()) per connection, io_context::run.
// A Session is a template on its stream: tcp::socket, or with --tls CERT KEY an
// asio::ssl::stream over it (OpenSSL, as ours), so one server program serves both rows.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdio>
#include <memory>
#include <utility>

#include "support/server_process.h"

namespace bench {

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// A session's first step: nothing for TCP; the server's TLS handshake over asio::ssl.
template <class F>
void asioBegin(asio::ip::tcp::socket &, F &&then) {
  then();
}
template <class F>
void asioBegin(TlsStream &stream, F &&then) {
  stream.async_handshake(asio::ssl::stream_base::server,
                         [then = std::forward<F>(then)](asio::error_code ec) mutable {
                           if (!ec)
                             then();
                         });
}

// A session's last step once it answered (the --close rows): FIN for TCP; close_notify over
// TLS (async_shutdown). The session (and its socket) goes when `keep` is released.
template <class Keep>
void asioEnd(asio::ip::tcp::socket &socket, Keep) {
  asio::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}
template <class Keep>
void asioEnd(TlsStream &stream, Keep keep) {
  stream.async_shutdown([keep](asio::error_code) {});
}

template <class Session, class... Extra>
void asioAccept(asio::ip::tcp::acceptor &acceptor, Extra &...extra) {
  acceptor.async_accept([&acceptor, &extra...](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (!ec) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      std::make_shared<Session>(typename Session::Stream(std::move(socket), extra...))->start();
    }
    asioAccept<Session>(acceptor, extra...);
  });
}

template <template <class> class Session>
int serveAsio(const char *name, int argc, char **argv) {
  using asio::ip::tcp;
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
  asio::io_context io(1);  // one thread runs the loop
  asio::ssl::context tls(asio::ssl::context::tls_server);
  asio::error_code ec;
  if (args.tlsCert) {
    tls.use_certificate_chain_file(args.tlsCert, ec);
    if (!ec)
      tls.use_private_key_file(args.tlsKey, asio::ssl::context::pem, ec);
    if (ec) {
      std::fprintf(stderr, "%s: --tls: %s\n", name, ec.message().c_str());
      return 1;
    }
  }
  tcp::acceptor acceptor(io);
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
  if (args.tlsCert)
    asioAccept<Session<TlsStream>>(acceptor, tls);
  else
    asioAccept<Session<tcp::socket>>(acceptor);
  announcePort(acceptor.local_endpoint().port());
  io.run();
  return 0;
}

}  // namespace bench
