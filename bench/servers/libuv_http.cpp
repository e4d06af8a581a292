// libuv_http: idiomatic libuv. Reads land in one loop-wide buffer; responses come from a
// static block, written with uv_try_write; a part the kernel refuses goes into the
// connection's uv_write request (still pointing into the static block, so nothing is copied)
// and reading stops until it completes.
#include <uv.h>

#include <algorithm>
#include <cstdio>

#include "support/http_hello.h"
#include "support/libuv_serve.h"
#include "support/server_process.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;

struct HttpConnection {
  uv_tcp_t handle;  // first: the handle's address is the connection's
  uv_write_t write;
  bool writing = false;
  bench::http::RequestCounter requests;
  size_t owed = 0;  // responses not yet handed to libuv
};

char g_buf[bench::kReadSize];

HttpConnection *connOf(uv_stream_t *s) {
  return reinterpret_cast<HttpConnection *>(s);
}

void onClose(uv_handle_t *handle) {
  delete reinterpret_cast<HttpConnection *>(handle);
}

void closeStream(uv_stream_t *stream) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t *>(stream)))
    uv_close(reinterpret_cast<uv_handle_t *>(stream), onClose);
}

void onAlloc(uv_handle_t *, size_t, uv_buf_t *buf) {
  *buf = uv_buf_init(g_buf, sizeof g_buf);
}
void onRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
void onWrite(uv_write_t *req, int status);

// Writes owed responses; returns false when the connection failed.
bool respond(HttpConnection *conn) {
  auto *stream = reinterpret_cast<uv_stream_t *>(&conn->handle);
  const char *block = bench::http::responseBlock();
  while (conn->owed && !conn->writing) {
    size_t count = std::min(conn->owed, kBatch);
    uv_buf_t out = uv_buf_init(const_cast<char *>(block), unsigned(count * kResponseSize));
    int w = uv_try_write(stream, &out, 1);
    if (w < 0 && w != UV_EAGAIN)
      return false;
    conn->owed -= count;
    if (size_t(w) == count * kResponseSize)
      continue;
    size_t done = w > 0 ? size_t(w) : 0;
    out = uv_buf_init(const_cast<char *>(block) + done, unsigned(count * kResponseSize - done));
    if (uv_write(&conn->write, stream, &out, 1, onWrite) != 0)
      return false;
    conn->writing = true;
    uv_read_stop(stream);
  }
  return true;
}

void onWrite(uv_write_t *req, int status) {
  uv_stream_t *stream = req->handle;
  HttpConnection *conn = connOf(stream);
  conn->writing = false;
  if (uv_is_closing(reinterpret_cast<uv_handle_t *>(stream)))
    return;
  if (status < 0 || !respond(conn))
    return closeStream(stream);
  if (!conn->writing)
    uv_read_start(stream, onAlloc, onRead);
}

void onRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0)
    return closeStream(stream);
  HttpConnection *conn = connOf(stream);
  conn->owed += conn->requests.feed(buf->base, size_t(nread));
  if (!respond(conn))
    closeStream(stream);
}

void onConnection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  auto *conn = new HttpConnection;
  uv_tcp_init(server->loop, &conn->handle);
  auto *stream = reinterpret_cast<uv_stream_t *>(&conn->handle);
  if (uv_accept(server, stream) != 0)
    return closeStream(stream);
  uv_tcp_nodelay(&conn->handle, 1);
  uv_read_start(stream, onAlloc, onRead);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveLibuv("libuv_http", argc, argv, onConnection);
}
