// The load generator's I/O with --tls: each connection's socket wrapped in an OpenSSL client
// session (no verification: the server is ours to measure, not to trust), non-blocking, so
// the workloads keep their epoll loops. Without --tls these are send() and recv().
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "loadgen.h"

namespace loadgen {

namespace {
bool g_tls = false;
SSL_CTX *g_ctx = nullptr;
std::vector<SSL *> g_sessions;  // by fd

SSL *sessionOf(int fd) {
  return size_t(fd) < g_sessions.size() ? g_sessions[size_t(fd)] : nullptr;
}

// OpenSSL's verdict as errno: -1 with EAGAIN while it waits for the socket, 0 at the peer's
// close, -1 with EIO on a failure.
ssize_t verdict(SSL *ssl, int r) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (errno == 0)
        return 0;  // EOF without close_notify
      return -1;
    default:
      ERR_clear_error();
      errno = EIO;
      return -1;
  }
}
}  // namespace

bool tlsEnabled() {
  return g_tls;
}

bool enableTls() {
  g_ctx = SSL_CTX_new(TLS_client_method());
  if (!g_ctx)
    return false;
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, nullptr);
  // A write may be taken in part and retried from another place in the pattern.
  SSL_CTX_set_mode(g_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  g_tls = true;
  return true;
}

int tlsHandshake(int fd) {
  if (!g_tls)
    return 1;
  SSL *ssl = sessionOf(fd);
  if (!ssl) {
    ssl = SSL_new(g_ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);
    if (g_sessions.size() <= size_t(fd))
      g_sessions.resize(size_t(fd) + 1, nullptr);
    g_sessions[size_t(fd)] = ssl;
  }
  const int r = SSL_do_handshake(ssl);
  if (r == 1)
    return 1;
  return verdict(ssl, r) < 0 && errno == EAGAIN ? 0 : -1;
}

ssize_t ioSend(int fd, const void *data, size_t len) {
  SSL *ssl = sessionOf(fd);
  if (!ssl)
    return ::send(fd, data, len, MSG_NOSIGNAL);
  size_t wrote = 0;
  const int r = SSL_write_ex(ssl, data, len, &wrote);
  return r == 1 ? ssize_t(wrote) : verdict(ssl, r);
}

ssize_t ioRecv(int fd, void *buf, size_t len) {
  SSL *ssl = sessionOf(fd);
  if (!ssl)
    return ::recv(fd, buf, len, 0);
  size_t got = 0;
  const int r = SSL_read_ex(ssl, buf, len, &got);
  return r == 1 ? ssize_t(got) : verdict(ssl, r);
}

void ioClose(int fd) {
  if (SSL *ssl = sessionOf(fd)) {
    SSL_free(ssl);
    g_sessions[size_t(fd)] = nullptr;
  }
  ::close(fd);
}

}  // namespace loadgen
