// asio_echo: idiomatic Asio (standalone), the shape of its own async_tcp_echo_server example:
// a shared_ptr session per connection that owns its buffer, async_read_some into it, then
// async_write of what was read, then read again. Reading waits while a write is pending, which
// is the back-pressure. The session buffer is the read size every peer uses; being owned per
// connection (a pending read needs its buffer), it is part of Asio's memory per connection.
// With --tls CERT KEY the stream is asio::ssl's (the TLS echo row).
#include <asio.hpp>

#include <array>
#include <cstdio>
#include <memory>

#include "support/asio_serve.h"
#include "support/server_process.h"

namespace {

template <class StreamType>
class EchoSession : public std::enable_shared_from_this<EchoSession<StreamType>> {
public:
  using Stream = StreamType;
  explicit EchoSession(Stream stream) : _socket(std::move(stream)) {}
  void start() {
    auto self = this->shared_from_this();
    bench::asioBegin(_socket, [this, self] { read(); });
  }

private:
  void read() {
    auto self = this->shared_from_this();
    _socket.async_read_some(asio::buffer(_data), [this, self](asio::error_code ec, size_t n) {
      if (!ec)
        write(n);
    });
  }

  void write(size_t n) {
    auto self = this->shared_from_this();
    asio::async_write(_socket, asio::buffer(_data, n), [this, self](asio::error_code ec, size_t) {
      if (!ec)
        read();
    });
  }

  Stream _socket;
  std::array<char, bench::kReadSize> _data;
};

}  // namespace

int main(int argc, char **argv) {
  return bench::serveAsio<EchoSession>("asio_echo", argc, argv);
}
