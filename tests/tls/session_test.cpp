// The TLS session alone, two of them joined in memory (no socket): handshakes on TLS 1.2
// and 1.3, data both ways, each failure with its own reason, close_notify, and onAck's
// plaintext accounting. The sockets, the API and the peers (openssl, curl) come later.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tls/session.h"
#include "tls/test_certs.h"

using namespace asynctcp::tls;
using tst::tls::KeyPair;

namespace {

std::string pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char &c : s) {
    x = x * 1103515245u + 12345u;
    c = char(x >> 16);
  }
  return s;
}

struct Certs {
  KeyPair ca = tst::tls::makeCa("AsyncTCP test CA");
  KeyPair server = tst::tls::makeLeaf(ca, "localhost", {"localhost", "127.0.0.1", "::1"});
};

const Certs &certs() {
  static const Certs c;
  return c;
}

Config serverConfig(const KeyPair &kp = certs().server) {
  Config c;
  c.role = Role::Server;
  c.certPem = kp.certPem;
  c.keyPem = kp.keyPem;
  return c;
}

Config clientConfig() {
  Config c;
  c.role = Role::Client;
  c.caPem = certs().ca.certPem;
  c.systemRoots = false;
  return c;
}

std::shared_ptr<Context> context(const Config &c) {
  Failure why = Failure::None;
  std::string detail;
  auto ctx = Context::create(c, &why, &detail);
  EXPECT_TRUE(ctx) << failureName(why) << ": " << detail;
  return ctx;
}

// A client and a server session, with the bytes each put on the "wire" moved to the other.
struct Pair {
  std::unique_ptr<Session> client, server;
  std::string toClient, toServer;  // plaintext each side received
  uint64_t clientCipherOut = 0;    // ciphertext the client put on the wire, handshake included

  Pair(const Config &cc, const Config &sc, const std::string &host = "localhost")
      : client(Session::create(context(cc), host)), server(Session::create(context(sc), "")) {}

  // Moves ciphertext until neither side has any to send. False if a side failed.
  bool pump() {
    std::vector<uint8_t> buf(64 * 1024);
    bool ok = true;
    for (bool moved = true; moved;) {
      moved = false;
      for (int dir = 0; dir < 2; ++dir) {
        Session &from = dir ? *server : *client;
        Session &to = dir ? *client : *server;
        while (size_t n = from.takeCipher(buf.data(), buf.size())) {
          moved = true;
          if (!dir)
            clientCipherOut += n;
          ok = to.feed(buf.data(), n) && ok;
          std::string &got = dir ? toClient : toServer;
          while (size_t m = to.read(buf.data(), buf.size()))
            got.append(reinterpret_cast<char *>(buf.data()), m);
        }
      }
    }
    return ok;
  }
  bool handshake() { return client->start() && server->start() && pump() && done(); }
  bool done() const { return client->handshakeDone() && server->handshakeDone(); }
};

void expectEcho(uint16_t version, size_t size) {
  Config cc = clientConfig(), sc = serverConfig();
  cc.minVersion = cc.maxVersion = version;
  Pair p(cc, sc);
  ASSERT_TRUE(p.handshake()) << failureName(p.client->failure()) << " / "
                             << failureName(p.server->failure()) << ": "
                             << p.client->failureDetail() << p.server->failureDetail();
  const std::string up = pattern(size, 1), down = pattern(size, 2);
  ASSERT_TRUE(p.client->write(reinterpret_cast<const uint8_t *>(up.data()), up.size()));
  ASSERT_TRUE(p.server->write(reinterpret_cast<const uint8_t *>(down.data()), down.size()));
  ASSERT_TRUE(p.pump());
  EXPECT_EQ(p.toServer.size(), size);
  EXPECT_TRUE(p.toServer == up);
  EXPECT_EQ(p.toClient.size(), size);
  EXPECT_TRUE(p.toClient == down);
}

}  // namespace

TEST(TlsSession, Tls13HandshakeAndDataBothWays) {
  for (size_t size : {size_t(1), size_t(1000), size_t(16384), size_t(65537), size_t(16) << 20})
    expectEcho(0x0304, size);
}

TEST(TlsSession, Tls12HandshakeAndDataBothWays) {
  for (size_t size : {size_t(1), size_t(1000), size_t(16384), size_t(65537), size_t(16) << 20})
    expectEcho(0x0303, size);
}

TEST(TlsSession, NothingIsWrittenBeforeTheHandshakeEnds) {
  Pair p(clientConfig(), serverConfig());
  ASSERT_TRUE(p.client->start());
  EXPECT_FALSE(p.client->write(reinterpret_cast<const uint8_t *>("x"), 1));
  EXPECT_EQ(p.client->failure(), Failure::None);
}

TEST(TlsSession, IpAddressNamesMatchTheCertificatesIpEntries) {
  for (const char *host : {"127.0.0.1", "::1"}) {
    Pair p(clientConfig(), serverConfig(), host);
    EXPECT_TRUE(p.handshake()) << host << ": " << p.client->failureDetail();
  }
}

TEST(TlsSession, UntrustedCertificateFailsAsUntrusted) {
  Config cc = clientConfig();
  cc.caPem = tst::tls::makeCa("another CA").certPem;
  Pair p(cc, serverConfig());
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client->failure(), Failure::Untrusted) << p.client->failureDetail();
  EXPECT_EQ(p.server->failure(), Failure::PeerAlert) << p.server->failureDetail();
}

TEST(TlsSession, WrongHostNameFailsAsNameMismatch) {
  Pair p(clientConfig(), serverConfig(), "other.example");
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client->failure(), Failure::NameMismatch) << p.client->failureDetail();
}

TEST(TlsSession, ExpiredCertificateFailsAsExpired) {
  const KeyPair expired =
      tst::tls::makeLeaf(certs().ca, "localhost", {"localhost"}, -2 * 86400, -86400);
  Pair p(clientConfig(), serverConfig(expired));
  EXPECT_FALSE(p.handshake());
  EXPECT_EQ(p.client->failure(), Failure::Expired) << p.client->failureDetail();
}

TEST(TlsSession, NoVerificationOnlyWhenAskedFor) {
  Config cc;  // the defaults: verify against the system's roots, which lack the test CA
  cc.systemRoots = false;
  Pair strict(cc, serverConfig());
  EXPECT_FALSE(strict.handshake());
  cc.verify = false;
  Pair lax(cc, serverConfig());
  EXPECT_TRUE(lax.handshake()) << lax.client->failureDetail();
}

TEST(TlsSession, PinnedFingerprintIsEnoughAndAWrongOneFails) {
  Config cc;
  cc.verify = false;
  cc.pins = {certs().server.sha256};
  Pair good(cc, serverConfig());
  EXPECT_TRUE(good.handshake()) << good.client->failureDetail();
  cc.pins = {certs().ca.sha256};  // a real fingerprint, not the server's
  Pair bad(cc, serverConfig());
  EXPECT_FALSE(bad.handshake());
  EXPECT_EQ(bad.client->failure(), Failure::Pin);
}

TEST(TlsSession, PreSharedKeyOnBothVersionsAndAWrongKeyFailsAsPsk) {
  for (uint16_t version : {uint16_t(0x0303), uint16_t(0x0304)}) {
    Config cc, sc;
    sc.role = Role::Server;
    cc.pskIdentity = sc.pskIdentity = "device-7";
    cc.psk = sc.psk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    cc.minVersion = cc.maxVersion = version;
    Pair good(cc, sc, "");
    EXPECT_TRUE(good.handshake()) << version << ": " << good.client->failureDetail() << " / "
                                  << good.server->failureDetail();
    cc.psk[0] ^= 0xff;
    Pair bad(cc, sc, "");
    EXPECT_FALSE(bad.handshake()) << version;
    EXPECT_TRUE(bad.client->failure() == Failure::Psk || bad.server->failure() == Failure::Psk)
        << version << ": " << failureName(bad.client->failure()) << " ("
        << bad.client->failureDetail() << ") / " << failureName(bad.server->failure()) << " ("
        << bad.server->failureDetail() << ")";
  }
}

TEST(TlsSession, PlainTextFromThePeerFailsAsProtocol) {
  auto server = Session::create(context(serverConfig()), "");
  ASSERT_TRUE(server->start());
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_FALSE(server->feed(reinterpret_cast<const uint8_t *>(http.data()), http.size()));
  EXPECT_EQ(server->failure(), Failure::Protocol) << server->failureDetail();
}

TEST(TlsSession, GarbageAfterTheHandshakeFailsAsProtocol) {
  Pair p(clientConfig(), serverConfig());
  ASSERT_TRUE(p.handshake());
  const std::string junk = pattern(300, 9);
  std::string record = "\x17\x03\x03\x01\x00" + junk;  // an application-data record header
  EXPECT_FALSE(p.server->feed(reinterpret_cast<const uint8_t *>(record.data()), record.size()));
  EXPECT_EQ(p.server->failure(), Failure::Protocol) << p.server->failureDetail();
}

TEST(TlsSession, CloseNotifyReachesThePeer) {
  Pair p(clientConfig(), serverConfig());
  ASSERT_TRUE(p.handshake());
  p.client->close();
  EXPECT_GT(p.client->pendingCipher(), 0u);
  EXPECT_TRUE(p.pump());
  EXPECT_TRUE(p.server->peerClosed());
  EXPECT_FALSE(p.client->write(reinterpret_cast<const uint8_t *>("x"), 1));
}

TEST(TlsSession, AckedCiphertextMapsToWholeRecordsOfPlaintext) {
  Pair p(clientConfig(), serverConfig());
  ASSERT_TRUE(p.handshake());
  std::vector<uint8_t> wire;
  uint8_t buf[4096];
  auto drain = [&] {
    while (size_t n = p.client->takeCipher(buf, sizeof buf))
      wire.insert(wire.end(), buf, buf + n);
  };
  drain();
  const uint64_t handshakeBytes = p.clientCipherOut + wire.size();  // offsets from the start
  const std::string a = pattern(1000, 3), b = pattern(20000, 4);    // b: two records
  ASSERT_TRUE(p.client->write(reinterpret_cast<const uint8_t *>(a.data()), a.size()));
  drain();
  const uint64_t afterA = p.clientCipherOut + wire.size();
  ASSERT_TRUE(p.client->write(reinterpret_cast<const uint8_t *>(b.data()), b.size()));
  drain();
  const uint64_t afterB = p.clientCipherOut + wire.size();
  EXPECT_EQ(p.client->plaintextAcked(handshakeBytes), 0u);
  EXPECT_EQ(p.client->plaintextAcked(afterA - 1), 0u) << "a record counted before its last byte";
  EXPECT_EQ(p.client->plaintextAcked(afterA), 1000u);
  const uint64_t midB = afterA + 16384 + 100;  // past b's first record, not its second
  EXPECT_EQ(p.client->plaintextAcked(midB), 1000u + 16384u);
  EXPECT_EQ(p.client->plaintextAcked(afterB), 21000u);
  EXPECT_EQ(p.client->plaintextAcked(afterB), 21000u);  // never counted twice
}

TEST(TlsSession, BadConfigurationIsReportedAsConfig) {
  Config sc = serverConfig();
  sc.keyPem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  Failure why = Failure::None;
  std::string detail;
  EXPECT_FALSE(Context::create(sc, &why, &detail));
  EXPECT_EQ(why, Failure::Config);
  EXPECT_FALSE(detail.empty());
}

TEST(TlsSession, EncryptedKeyLoadsWithItsPassword) {
  Config sc = serverConfig();
  sc.keyPem = tst::tls::encryptKey(certs().server.keyPem, "s3cret");
  sc.keyPassword = "s3cret";
  Pair p(clientConfig(), sc);
  EXPECT_TRUE(p.handshake()) << p.server->failureDetail();
  sc.keyPassword = "wrong";
  Failure why = Failure::None;
  EXPECT_FALSE(Context::create(sc, &why, nullptr));
  EXPECT_EQ(why, Failure::Config);
}
