// AsyncServer's TLS: the context every accepted connection's session is made from
// (beginSecure()), where its certificate and key come from (onSslFileRequest(), the
// filesystem, or PEM text), and the connections still in their handshake.
#if ASYNCTCP_TLS

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "AsyncTCP.h"
#include "core/client_impl.h"
#include "core/server_impl.h"
#include "core/service.h"
#include "tls/tls_state.h"

using asynctcp::ServerTls;
using asynctcp::Service;

namespace asynctcp {
void ServerImpl::forgetHandshake(ClientImpl *c) {
  std::vector<ClientImpl *> &list = tls->handshaking;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == c) {
      list[i] = list.back();
      list.pop_back();
      return;
    }
  }
}
}  // namespace asynctcp

namespace {
ServerTls &ensureTls(asynctcp::ServerImpl *impl) {
  if (!impl->tls)
    impl->tls = new ServerTls();
  return *impl->tls;
}

// The PEM text `what` names: PEM text itself, or a file, read through the handler when
// there is one (ESPAsyncTCP's way: firmware without a filesystem serves it from flash).
bool loadPem(const char *what, const AcSSlFileHandler &handler, void *arg, std::string *pem) {
  if (std::strstr(what, "-----BEGIN")) {
    *pem = what;
    return true;
  }
  if (handler) {
    uint8_t *buf = nullptr;
    const int len = handler(arg, what, &buf);
    if (len > 0 && buf)
      pem->assign(reinterpret_cast<const char *>(buf), size_t(len));
    std::free(buf);
    return len > 0 && buf;
  }
  std::ifstream in(what, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream text;
  text << in.rdbuf();
  *pem = text.str();
  return true;
}
}  // namespace

void AsyncServer::onSslFileRequest(AcSSlFileHandler cb, void *arg) {
  Service::call([&] {
    ServerTls &t = ensureTls(_impl);
    t.fileHandler = std::move(cb);
    t.fileArg = arg;
  });
}

void AsyncServer::setPsk(const char *psk_ident, const char *psk) {
  std::vector<uint8_t> key;
  if (psk && !asynctcp::decodeHex(psk, &key))
    key.clear();  // beginSecure() then fails on a PSK identity without a key
  Service::call([&] {
    ServerTls &t = ensureTls(_impl);
    t.pskIdentity = psk_ident ? psk_ident : "";
    t.psk = std::move(key);
  });
}

bool AsyncServer::setTlsVersions(uint16_t min, uint16_t max) {
  if (!asynctcp::validTlsVersions(min, max))
    return false;
  Service::call([&] {
    ServerTls &t = ensureTls(_impl);
    t.minVersion = min;
    t.maxVersion = max;
  });
  return true;
}

bool AsyncServer::beginSecure(const char *cert, const char *private_key_file,
                              const char *password) {
  // The handler is the user's code: it runs here, on the caller's thread, without the lock.
  AcSSlFileHandler handler;
  void *arg = nullptr;
  asynctcp::tls::Config config;
  config.role = asynctcp::tls::Role::Server;
  Service::query([&] {
    if (ServerTls *t = _impl->tls) {
      handler = t->fileHandler;
      arg = t->fileArg;
      config.pskIdentity = t->pskIdentity;
      config.psk = t->psk;
      config.minVersion = t->minVersion;
      config.maxVersion = t->maxVersion;
    }
  });
  const bool psk = !config.pskIdentity.empty();
  bool loaded = psk && !config.psk.empty();
  if (cert || private_key_file) {
    loaded = cert && private_key_file && loadPem(cert, handler, arg, &config.certPem) &&
             loadPem(private_key_file, handler, arg, &config.keyPem);
  }
  config.keyPassword = password ? password : "";
  std::shared_ptr<asynctcp::tls::Context> context;
  if (loaded) {
    asynctcp::tls::Failure why = asynctcp::tls::Failure::None;
    std::string detail;
    context = asynctcp::tls::Context::create(config, &why, &detail);
    if (!context)
      async_tcp_log_e("beginSecure: %s", detail.c_str());
  } else {
    async_tcp_log_e("beginSecure: the certificate or key does not load");
  }
  return Service::call([&] {
    if (!context) {
      _impl->lastErrno = EINVAL;
      return false;
    }
    ensureTls(_impl).context = std::move(context);
    _impl->begin();
    return _impl->listener != nullptr;
  });
}

#endif  // ASYNCTCP_TLS
