// libuv_echo: idiomatic libuv. Reads land in one loop-wide buffer (alloc_cb), are echoed with
// uv_try_write, and only what the kernel refuses is copied into a uv_write request; reading
// stops until that request completes (back-pressure through the kernel window).
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/libuv_serve.h"
#include "support/server_process.h"

namespace {

struct WriteRequest {
  uv_write_t req;
  char data[];  // the refused part of one echo
};

char g_buf[bench::kReadSize];

void onClose(uv_handle_t *handle) {
  delete reinterpret_cast<uv_tcp_t *>(handle);
}

void closeStream(uv_stream_t *stream) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t *>(stream)))
    uv_close(reinterpret_cast<uv_handle_t *>(stream), onClose);
}

void onAlloc(uv_handle_t *, size_t, uv_buf_t *buf) {
  *buf = uv_buf_init(g_buf, sizeof g_buf);
}

void onRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

void onWrite(uv_write_t *req, int status) {
  uv_stream_t *stream = req->handle;
  std::free(req);
  if (status < 0)
    return closeStream(stream);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t *>(stream)))
    uv_read_start(stream, onAlloc, onRead);
}

void onRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0)
    return closeStream(stream);  // UV_EOF or an error
  if (nread == 0)
    return;
  uv_buf_t out = uv_buf_init(buf->base, unsigned(nread));
  int w = uv_try_write(stream, &out, 1);
  if (w == nread)
    return;
  if (w < 0 && w != UV_EAGAIN)
    return closeStream(stream);
  size_t done = w > 0 ? size_t(w) : 0, rest = size_t(nread) - done;
  auto *req = static_cast<WriteRequest *>(std::malloc(sizeof(WriteRequest) + rest));
  std::memcpy(req->data, buf->base + done, rest);  // the read buffer is shared
  out = uv_buf_init(req->data, unsigned(rest));
  if (uv_write(&req->req, stream, &out, 1, onWrite) != 0) {
    std::free(req);
    return closeStream(stream);
  }
  uv_read_stop(stream);
}

void onConnection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  auto *client = new uv_tcp_t;
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t *>(client)) != 0)
    return closeStream(reinterpret_cast<uv_stream_t *>(client));
  uv_tcp_nodelay(client, 1);
  uv_read_start(reinterpret_cast<uv_stream_t *>(client), onAlloc, onRead);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveLibuv("libuv_echo", argc, argv, onConnection);
}
