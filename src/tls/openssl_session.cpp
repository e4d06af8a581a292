// The TLS session on OpenSSL 3: an SSL object between two memory BIOs, so the event loop
// keeps owning the socket (issue 17). Host only: ESP32 would build an mbedTLS session.
#if !defined(ESP_PLATFORM)

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "tls/session.h"

namespace asynctcp::tls {

namespace {
constexpr size_t kRecordPlain = 16 * 1024;  // one TLS record's plaintext at most

std::string takeErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out;
}

struct BioFree {
  void operator()(BIO *b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memBio(const std::string &text) {
  return BioPtr(BIO_new_mem_buf(text.data(), int(text.size())));
}

// Every certificate of a PEM text, in order.
bool readCerts(const std::string &pem, std::vector<X509 *> *out) {
  BioPtr bio = memBio(pem);
  while (X509 *x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out->push_back(x);
  ERR_clear_error();  // the end of the text reads as "no start line"
  return !out->empty();
}

bool isIpLiteral(const std::string &host) {
  ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}
}  // namespace

const char *failureName(Failure f) {
  switch (f) {
    case Failure::None:
      return "none";
    case Failure::Handshake:
      return "TLS handshake failed";
    case Failure::Untrusted:
      return "TLS certificate not trusted";
    case Failure::NameMismatch:
      return "TLS certificate name mismatch";
    case Failure::Expired:
      return "TLS certificate expired or not yet valid";
    case Failure::Pin:
      return "TLS certificate fingerprint mismatch";
    case Failure::Psk:
      return "TLS pre-shared key mismatch";
    case Failure::Protocol:
      return "TLS protocol error";
    case Failure::PeerAlert:
      return "TLS refused by the peer";
    case Failure::Config:
      return "TLS configuration error";
  }
  return "TLS error";
}

// ---- the context: SSL_CTX and what its callbacks read ----

struct Context::Impl {
  SSL_CTX *ctx = nullptr;
  const Config *config = nullptr;
  ~Impl() { SSL_CTX_free(ctx); }
};

namespace {
int contextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const Config &configOf(SSL *ssl) {
  auto *impl =
      static_cast<Context::Impl *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), contextIndex()));
  return *impl->config;
}

// TLS 1.2 PSK suites and TLS 1.3 external PSK (OpenSSL uses these callbacks for both).
unsigned int pskClient(SSL *ssl, const char *, char *identity, unsigned int maxIdentity,
                       unsigned char *psk, unsigned int maxPsk) {
  const Config &c = configOf(ssl);
  if (c.pskIdentity.size() + 1 > maxIdentity || c.psk.size() > maxPsk)
    return 0;
  std::memcpy(identity, c.pskIdentity.c_str(), c.pskIdentity.size() + 1);
  std::memcpy(psk, c.psk.data(), c.psk.size());
  return unsigned(c.psk.size());
}

unsigned int pskServer(SSL *ssl, const char *identity, unsigned char *psk, unsigned int maxPsk) {
  const Config &c = configOf(ssl);
  if (!identity || c.pskIdentity != identity || c.psk.size() > maxPsk)
    return 0;  // an unknown identity: the handshake fails
  std::memcpy(psk, c.psk.data(), c.psk.size());
  return unsigned(c.psk.size());
}

bool loadOwnCertificate(SSL_CTX *ctx, const Config &c, std::string *detail) {
  std::vector<X509 *> chain;
  if (!readCerts(c.certPem, &chain)) {
    *detail = "no certificate in the PEM text";
    return false;
  }
  bool ok = SSL_CTX_use_certificate(ctx, chain[0]) == 1;
  for (size_t i = 1; ok && i < chain.size(); ++i)
    ok = SSL_CTX_add1_chain_cert(ctx, chain[i]) == 1;
  for (X509 *x : chain)
    X509_free(x);
  BioPtr keyBio = memBio(c.keyPem);
  EVP_PKEY *key = ok ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr,
                                               const_cast<char *>(c.keyPassword.c_str()))
                     : nullptr;
  ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!ok)
    *detail = "certificate or key does not load: " + takeErrors();
  return ok;
}

bool loadTrust(SSL_CTX *ctx, const Config &c, std::string *detail) {
  if (!c.caPem.empty()) {
    std::vector<X509 *> roots;
    if (!readCerts(c.caPem, &roots)) {
      *detail = "no certificate in the CA PEM text";
      return false;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    bool ok = true;
    for (X509 *x : roots) {
      ok = ok && X509_STORE_add_cert(store, x) == 1;
      X509_free(x);
    }
    if (!ok)
      *detail = "CA does not load: " + takeErrors();
    return ok;
  }
  if (c.systemRoots && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    *detail = "system trust store does not load: " + takeErrors();
    return false;
  }
  return true;
}
}  // namespace

Context::Context(const Config &config) : _config(config), _impl(std::make_unique<Impl>()) {}
Context::~Context() = default;

std::shared_ptr<Context> Context::create(const Config &config, Failure *why, std::string *detail) {
  // No clean-up at exit: the service thread is never joined and may still free a session
  // while exit() runs OpenSSL's handlers (the program's first OpenSSL call decides this).
  static const bool initialised = OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  (void)initialised;
  std::string ignored;
  if (!detail)
    detail = &ignored;
  std::shared_ptr<Context> c(new Context(config));
  Impl &impl = *c->_impl;
  impl.config = &c->_config;
  const Config &cfg = c->_config;
  const bool client = cfg.role == Role::Client;
  impl.ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
  bool ok = impl.ctx && SSL_CTX_set_ex_data(impl.ctx, contextIndex(), &impl) == 1 &&
            SSL_CTX_set_min_proto_version(impl.ctx, cfg.minVersion) == 1 &&
            SSL_CTX_set_max_proto_version(impl.ctx, cfg.maxVersion) == 1;
  if (!ok)
    *detail = "SSL_CTX: " + takeErrors();
  if (ok)  // the event loop hands records over as they come: no partial-write surprises
    SSL_CTX_set_mode(impl.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
  if (ok && !cfg.certPem.empty())
    ok = loadOwnCertificate(impl.ctx, cfg, detail);
  if (ok && !cfg.psk.empty()) {
    if (client)
      SSL_CTX_set_psk_client_callback(impl.ctx, pskClient);
    else
      SSL_CTX_set_psk_server_callback(impl.ctx, pskServer);
    if (cfg.certPem.empty() || client)  // TLS 1.2 needs PSK suites in the list
      ok = SSL_CTX_set_cipher_list(impl.ctx, "PSK:ECDHE-PSK:DHE-PSK:DEFAULT") == 1;
  }
  const bool verifyPeer = cfg.verify && (client || !cfg.caPem.empty()) && cfg.psk.empty();
  if (ok && verifyPeer)
    ok = loadTrust(impl.ctx, cfg, detail);
  if (ok) {
    int mode = verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
    if (verifyPeer && !client)
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(impl.ctx, mode, nullptr);
  }
  if (!ok) {
    if (why)
      *why = Failure::Config;
    ERR_clear_error();
    return nullptr;
  }
  if (why)
    *why = Failure::None;
  return c;
}

// ---- the session ----

struct Session::Impl {
  std::shared_ptr<Context> context;
  SSL *ssl = nullptr;
  BIO *in = nullptr;   // ciphertext from the peer (SSL reads it)
  BIO *out = nullptr;  // ciphertext to the peer (SSL writes it)
  std::string plain;   // decrypted, not yet read()
  size_t plainHead = 0;
  bool done = false, peerClosed = false, closed = false;
  Failure failure = Failure::None;
  std::string detail;
  uint64_t plainWritten = 0, plainAcked = 0;
  // (ciphertext total, plaintext total) once each record went out: for plaintextAcked().
  std::deque<std::pair<uint64_t, uint64_t>> records;

  ~Impl() { SSL_free(ssl); }  // frees both BIOs

  bool fail(Failure f) {
    if (failure == Failure::None) {
      failure = f;
      detail = takeErrors();
    }
    ERR_clear_error();
    return false;
  }
  Failure classify(int sslError);
  bool handshake();
  bool checkPins();
  bool drain();
};

Failure Session::Impl::classify(int sslError) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    detail = X509_verify_cert_error_string(verify);
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return Failure::NameMismatch;
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Failure::Expired;
      default:
        return Failure::Untrusted;
    }
  }
  if (sslError != SSL_ERROR_SSL)
    return Failure::Handshake;
  const unsigned long e = ERR_peek_last_error();
  const int reason = ERR_GET_REASON(e);
  const Config &c = context->config();
  if (!c.psk.empty() &&
      (reason == SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER || reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR ||
       reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC ||
       reason == SSL_R_SSLV3_ALERT_BAD_RECORD_MAC ||
       reason == SSL_R_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY || reason == SSL_R_PSK_IDENTITY_NOT_FOUND ||
       reason == SSL_R_TLSV1_ALERT_DECODE_ERROR || reason == SSL_R_DIGEST_CHECK_FAILED))
    return Failure::Psk;
  if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_UNEXPECTED_MESSAGE ||
      reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
      reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC ||
      reason == SSL_R_SSLV3_ALERT_BAD_RECORD_MAC || reason == SSL_R_HTTP_REQUEST ||
      reason == SSL_R_UNEXPECTED_RECORD || reason == SSL_R_LENGTH_MISMATCH ||
      reason == SSL_R_BAD_PACKET_LENGTH)
    return Failure::Protocol;
  if (reason >= SSL_AD_REASON_OFFSET)  // an alert the peer sent
    return Failure::PeerAlert;
  return Failure::Handshake;
}

bool Session::Impl::checkPins() {
  const Config &c = context->config();
  if (c.pins.empty())
    return true;
  X509 *peer = SSL_get1_peer_certificate(ssl);
  bool match = false;
  if (peer) {
    unsigned char *der = nullptr;
    const int len = i2d_X509(peer, &der);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdLen = 0;
    if (len > 0 && EVP_Digest(der, size_t(len), md, &mdLen, EVP_sha256(), nullptr) == 1) {
      for (const std::vector<uint8_t> &pin : c.pins)
        match = match || (pin.size() == mdLen && std::memcmp(pin.data(), md, mdLen) == 0);
    }
    OPENSSL_free(der);
    X509_free(peer);
  }
  if (!match) {
    fail(Failure::Pin);
    detail = "no pinned SHA-256 fingerprint matches the peer's certificate";
    SSL_shutdown(ssl);  // tells the peer (an alert would be better; close_notify is honest)
  }
  return match;
}

bool Session::Impl::handshake() {
  const int r = SSL_do_handshake(ssl);
  if (r == 1) {
    done = true;
    return checkPins();
  }
  const int err = SSL_get_error(ssl, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return true;
  const Failure f = classify(err);
  std::string verifyDetail = detail;
  fail(f);
  if (!verifyDetail.empty() && detail.empty())
    detail = verifyDetail;
  return false;
}

// Decrypts what has arrived into `plain`.
bool Session::Impl::drain() {
  char buf[kRecordPlain];
  for (;;) {
    size_t got = 0;
    if (SSL_read_ex(ssl, buf, sizeof buf, &got) == 1) {
      if (plainHead == plain.size()) {
        plain.clear();
        plainHead = 0;
      }
      plain.append(buf, got);
      continue;
    }
    const int err = SSL_get_error(ssl, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
      return true;
    if (err == SSL_ERROR_ZERO_RETURN) {
      peerClosed = true;
      ERR_clear_error();
      return true;
    }
    return fail(classify(err));
  }
}

Session::Session() : _impl(std::make_unique<Impl>()) {}
Session::~Session() = default;

std::unique_ptr<Session> Session::create(std::shared_ptr<Context> context,
                                         const std::string &host) {
  if (!context)
    return nullptr;
  std::unique_ptr<Session> s(new Session());
  Impl &i = *s->_impl;
  i.context = std::move(context);
  i.ssl = SSL_new(i.context->impl()->ctx);
  i.in = BIO_new(BIO_s_mem());
  i.out = BIO_new(BIO_s_mem());
  if (!i.ssl || !i.in || !i.out) {
    BIO_free(i.in);
    BIO_free(i.out);
    return nullptr;
  }
  BIO_set_mem_eof_return(i.in, -1);  // empty means "more to come", not EOF
  SSL_set_bio(i.ssl, i.in, i.out);
  const Config &c = i.context->config();
  if (c.role == Role::Client) {
    SSL_set_connect_state(i.ssl);
    if (!host.empty()) {
      const bool ip = isIpLiteral(host);
      if (!ip)
        SSL_set_tlsext_host_name(i.ssl, host.c_str());
      if (c.verify && c.psk.empty()) {
        X509_VERIFY_PARAM *param = SSL_get0_param(i.ssl);
        if (ip)
          X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        else
          X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      }
    }
  } else {
    SSL_set_accept_state(i.ssl);
  }
  return s;
}

bool Session::start() {
  Impl &i = *_impl;
  if (i.failure != Failure::None)
    return false;
  return i.done || i.handshake();
}

bool Session::feed(const uint8_t *data, size_t len) {
  Impl &i = *_impl;
  if (i.failure != Failure::None)
    return false;
  if (len && BIO_write(i.in, data, int(len)) != int(len))
    return i.fail(Failure::Handshake);
  if (!i.done && !i.handshake())
    return false;
  return !i.done || i.drain();
}

size_t Session::read(uint8_t *buf, size_t cap) {
  const uint8_t *p = nullptr;
  const size_t n = std::min(cap, peek(&p));
  std::memcpy(buf, p, n);
  consume(n);
  return n;
}

size_t Session::peek(const uint8_t **data) const {
  const Impl &i = *_impl;
  *data = reinterpret_cast<const uint8_t *>(i.plain.data()) + i.plainHead;
  return i.plain.size() - i.plainHead;
}

void Session::consume(size_t n) {
  Impl &i = *_impl;
  i.plainHead += std::min(n, i.plain.size() - i.plainHead);
  if (i.plainHead == i.plain.size()) {
    i.plain.clear();
    i.plainHead = 0;
  }
}

bool Session::write(const uint8_t *data, size_t len) {
  Impl &i = *_impl;
  if (i.failure != Failure::None || !i.done || i.closed)
    return false;
  while (len) {
    const size_t piece = std::min(len, kRecordPlain);
    size_t wrote = 0;
    if (SSL_write_ex(i.ssl, data, piece, &wrote) != 1 || wrote != piece)
      return i.fail(i.classify(SSL_get_error(i.ssl, 0)));
    data += piece;
    len -= piece;
    i.plainWritten += piece;
    i.records.emplace_back(BIO_number_written(i.out), i.plainWritten);
  }
  return true;
}

size_t Session::pendingCipher() const {
  return BIO_ctrl_pending(_impl->out);
}

size_t Session::takeCipher(uint8_t *buf, size_t cap) {
  const int n = BIO_read(_impl->out, buf, int(std::min(cap, size_t(INT32_MAX))));
  return n > 0 ? size_t(n) : 0;
}

void Session::close() {
  Impl &i = *_impl;
  if (i.closed || i.failure != Failure::None)
    return;
  i.closed = true;
  if (i.done)
    SSL_shutdown(i.ssl);
  ERR_clear_error();
}

bool Session::handshakeDone() const {
  return _impl->done && _impl->failure == Failure::None;
}
bool Session::peerClosed() const {
  return _impl->peerClosed;
}
void *Session::native() const {
  return _impl->ssl;
}
Failure Session::failure() const {
  return _impl->failure;
}
const std::string &Session::failureDetail() const {
  return _impl->detail;
}

uint64_t Session::plaintextAcked(uint64_t cipherBytesAcked) {
  Impl &i = *_impl;
  while (!i.records.empty() && i.records.front().first <= cipherBytesAcked) {
    i.plainAcked = i.records.front().second;
    i.records.pop_front();
  }
  return i.plainAcked;
}

}  // namespace asynctcp::tls

#endif  // !defined(ESP_PLATFORM)
