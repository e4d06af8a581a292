// Throw-away certificates for the TLS tests, made in the process with OpenSSL: a CA, and
// leaves it signs for the names and validity a test needs (an expired one, a wrong name).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tst::tls {

struct KeyPair {
  std::string certPem, keyPem;
  std::vector<uint8_t> sha256;  // of the certificate's DER: what a pin is
};

// A self-signed CA (P-256).
KeyPair makeCa(const std::string &commonName);
// A leaf signed by `ca`, valid for `names` (DNS names and IP address literals), from
// notBefore to notAfter seconds relative to now.
KeyPair makeLeaf(const KeyPair &ca, const std::string &commonName,
                 const std::vector<std::string> &names, long notBefore = -3600,
                 long notAfter = 86400);
// The key's PEM encrypted with a password (AES-256-CBC).
std::string encryptKey(const std::string &keyPem, const std::string &password);

}  // namespace tst::tls
