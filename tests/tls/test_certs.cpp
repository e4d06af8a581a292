#include "tls/test_certs.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace tst::tls {

namespace {

struct Free {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
  void operator()(X509 *x) const { X509_free(x); }
  void operator()(BIO *b) const { BIO_free(b); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

void check(bool ok, const char *what) {
  if (!ok)
    throw std::runtime_error(std::string("test certificate: ") + what);
}

std::string bioText(BIO *b) {
  char *data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, size_t(n));
}

std::string keyPem(EVP_PKEY *key) {
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "key");
  return bioText(b.get());
}

KeyPair finish(X509 *cert, EVP_PKEY *key) {
  KeyPair kp;
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(b.get(), cert) == 1, "PEM");
  kp.certPem = bioText(b.get());
  kp.keyPem = keyPem(key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(X509_digest(cert, EVP_sha256(), md, &len) == 1, "digest");
  kp.sha256.assign(md, md + len);
  return kp;
}

void addExtension(X509 *cert, X509 *issuer, int nid, const std::string &value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Ptr<X509> newCert(EVP_PKEY *key, const std::string &cn, long notBefore, long notAfter) {
  static long serial = 1;
  Ptr<X509> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), notBefore);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), notAfter);
  X509_set_pubkey(cert.get(), key);
  X509_NAME *name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>(cn.c_str()), -1, -1, 0);
  return cert;
}

Ptr<EVP_PKEY> readKey(const std::string &pem) {
  Ptr<BIO> b(BIO_new_mem_buf(pem.data(), int(pem.size())));
  return Ptr<EVP_PKEY>(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

Ptr<X509> readCert(const std::string &pem) {
  Ptr<BIO> b(BIO_new_mem_buf(pem.data(), int(pem.size())));
  return Ptr<X509>(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

}  // namespace

KeyPair makeCa(const std::string &commonName) {
  // The library's choice (src/tls/openssl_session.cpp): no OpenSSL clean-up at exit, while
  // its service thread may still free a session. The test's first call decides it.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "CA key");
  Ptr<X509> cert = newCert(key.get(), commonName, -3600, 10 * 86400);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "CA signature");
  return finish(cert.get(), key.get());
}

KeyPair makeLeaf(const KeyPair &ca, const std::string &commonName,
                 const std::vector<std::string> &names, long notBefore, long notAfter) {
  Ptr<EVP_PKEY> caKey = readKey(ca.keyPem);
  Ptr<X509> caCert = readCert(ca.certPem);
  check(caKey && caCert, "CA");
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "leaf key");
  Ptr<X509> cert = newCert(key.get(), commonName, notBefore, notAfter);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(caCert.get()));
  std::string san;
  for (const std::string &n : names) {
    ASN1_OCTET_STRING *literal = a2i_IPADDRESS(n.c_str());
    const bool ip = literal != nullptr;
    ASN1_OCTET_STRING_free(literal);
    san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + n;
  }
  if (!san.empty())
    addExtension(cert.get(), caCert.get(), NID_subject_alt_name, san);
  addExtension(cert.get(), caCert.get(), NID_basic_constraints, "CA:FALSE");
  addExtension(cert.get(), caCert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  check(X509_sign(cert.get(), caKey.get(), EVP_sha256()) > 0, "leaf signature");
  return finish(cert.get(), key.get());
}

std::string encryptKey(const std::string &pem, const std::string &password) {
  Ptr<EVP_PKEY> key = readKey(pem);
  check(key != nullptr, "key");
  Ptr<BIO> b(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(b.get(), key.get(), EVP_aes_256_cbc(),
                                 reinterpret_cast<const unsigned char *>(password.data()),
                                 int(password.size()), nullptr, nullptr) == 1,
        "encrypted key");
  return bioText(b.get());
}

}  // namespace tst::tls
