// AsyncClient's TLS calls: settings for connect(..., true), copied under the core lock and
// applied at the next secure connect (a changed setting makes a new context).
#if ASYNCTCP_TLS

#include <charconv>
#include <cstring>

#include "AsyncTCP.h"
#include "core/client_impl.h"
#include "core/service.h"
#include "tls/tls_state.h"

using asynctcp::ClientTls;
using asynctcp::Service;

namespace asynctcp {
bool validTlsVersions(uint16_t min, uint16_t max) {
  return min >= ASYNC_TCP_TLS_1_2 && max <= ASYNC_TCP_TLS_1_3 && min <= max;
}

bool decodeHex(const char *hex, std::vector<uint8_t> *out) {
  out->clear();
  const size_t n = hex ? std::strlen(hex) : 0;
  if (n == 0 || n % 2)
    return false;
  for (size_t i = 0; i < n; i += 2) {
    uint8_t byte = 0;
    const std::from_chars_result r = std::from_chars(hex + i, hex + i + 2, byte, 16);
    if (r.ec != std::errc() || r.ptr != hex + i + 2)
      return false;
    out->push_back(byte);
  }
  return true;
}
}  // namespace asynctcp

namespace {
// PEM text as the mbedTLS forks take it: len may count the terminating NUL (mbedTLS wants
// it), or be 0 for a NUL-terminated string.
std::string pemText(const char *text, size_t len) {
  if (!text)
    return std::string();
  if (!len)
    len = std::strlen(text);
  while (len && text[len - 1] == '\0')
    --len;
  return std::string(text, len);
}

template <class F>
void change(asynctcp::ClientImpl *impl, F &&f) {
  Service::call([&] {
    ClientTls &t = impl->ensureTls();
    f(t);
    t.context.reset();  // made again from the settings at the next secure connect
  });
}
}  // namespace

bool AsyncClient::connect(const IPAddress &ip, uint16_t port, bool secure) {
  return Service::call([&] { return _impl->connectTo(ip, port, secure); });
}

bool AsyncClient::connect(const char *host, uint16_t port, bool secure) {
  return asynctcp::connectHost(_impl, host, port, secure);
}

void AsyncClient::setRootCa(const char *rootca, const size_t len) {
  std::string pem = pemText(rootca, len);
  change(_impl, [&](ClientTls &t) { t.config.caPem = std::move(pem); });
}

void AsyncClient::setClientCert(const char *cli_cert, const size_t len) {
  std::string pem = pemText(cli_cert, len);
  change(_impl, [&](ClientTls &t) { t.config.certPem = std::move(pem); });
}

void AsyncClient::setClientKey(const char *cli_key, const size_t len) {
  std::string pem = pemText(cli_key, len);
  change(_impl, [&](ClientTls &t) { t.config.keyPem = std::move(pem); });
}

void AsyncClient::setPsk(const char *psk_ident, const char *psk) {
  std::vector<uint8_t> key;
  const bool ok = !psk || asynctcp::decodeHex(psk, &key);
  change(_impl, [&](ClientTls &t) {
    t.config.pskIdentity = psk_ident ? psk_ident : "";
    t.config.psk = std::move(key);
    t.badSetting = !ok;  // reported as ASYNC_TCP_ERR_TLS_CONFIG by the next secure connect
  });
}

bool AsyncClient::addServerFingerprint(const uint8_t *sha256, size_t len) {
  if (!sha256 || len != 32)
    return false;
  change(_impl, [&](ClientTls &t) { t.config.pins.emplace_back(sha256, sha256 + len); });
  return true;
}

bool AsyncClient::setTlsVersions(uint16_t min, uint16_t max) {
  if (!asynctcp::validTlsVersions(min, max))
    return false;
  change(_impl, [&](ClientTls &t) {
    t.config.minVersion = min;
    t.config.maxVersion = max;
  });
  return true;
}

void AsyncClient::setInsecure(bool insecure) {
  change(_impl, [&](ClientTls &t) { t.insecure = insecure; });
}

bool AsyncClient::secure() const {
  return Service::query([&] { return bool(_impl->secure); });
}

SSL *AsyncClient::getSSL() {
  return Service::query([&] { return static_cast<SSL *>(_impl->tlsNative()); });
}

#endif  // ASYNCTCP_TLS
