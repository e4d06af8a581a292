// TLS through the API over real connections, on either stack and engine: both sides ours,
// ours against openssl and curl, onAck in plaintext, and every failure with its own error
// and exactly one onError + onDisconnect.
#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <tuple>

#include <sys/socket.h>

#include "support/child_process.h"
#include "test_support.h"
#include "tls/session.h"
#include "tls/test_certs.h"
#include "tls/tls_peer.h"

using namespace tst;
using tst::tls::KeyPair;
using tst::tls::TlsPeer;

namespace {

std::vector<std::string> addressNames() {
  return {"localhost", loopback4().toString().c_str(), stackIp4().toString().c_str(),
          peerIp4().toString().c_str()};
}

struct Certs {
  KeyPair ca = tst::tls::makeCa("AsyncTCP test CA");
  KeyPair server = tst::tls::makeLeaf(ca, "localhost", addressNames());
  KeyPair expired = tst::tls::makeLeaf(ca, "localhost", addressNames(), -7200, -3600);
  KeyPair otherName = tst::tls::makeLeaf(ca, "elsewhere.test", {"elsewhere.test"});
};

const Certs &certs() {
  static const Certs c;
  return c;
}

void trustTestCa(AsyncClient &c) {
  c.setRootCa(certs().ca.certPem.c_str(), certs().ca.certPem.size());
}

std::unique_ptr<AsyncServer> secureServer(const KeyPair &kp, const IPAddress &ip = loopback4()) {
  auto s = std::make_unique<AsyncServer>(ip, 0);
  EXPECT_TRUE(s->beginSecure(kp.certPem.c_str(), kp.keyPem.c_str(), nullptr));
  return s;
}

std::string ipText(const IPAddress &ip) {
  return ip.toString().c_str();
}

// A file in a directory of the test's own, removed with it.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/asynctcp-tls-XXXXXX";
    _path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + _path).c_str()); }
  std::string write(const std::string &name, const std::string &text) const {
    std::string p = _path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

private:
  std::string _path;
};

ClientHooks writeOnConnect(const char *text) {
  ClientHooks h;
  h.onConnect = [text](AsyncClient *cl) { cl->write(text); };
  return h;
}

// What a failed secure connect reported: exactly one error, then one disconnect.
std::vector<std::string> failedWith(int code) {
  return {"error:" + std::to_string(code), "disconnect"};
}

// ---- both sides ours ----

// (TLS version, bytes): both sides ours, held to one version.
class TlsEcho : public ::testing::TestWithParam<std::tuple<uint16_t, size_t>> {};

TEST_P(TlsEcho, BytesComeBackWholeAndOnAckCountsThePlaintext) {
  const uint16_t version = std::get<0>(GetParam());
  const size_t size = std::get<1>(GetParam());
  auto server = std::make_unique<AsyncServer>(loopback4(), 0);
  ASSERT_TRUE(server->setTlsVersions(version, version));
  ASSERT_TRUE(
      server->beginSecure(certs().server.certPem.c_str(), certs().server.keyPem.c_str(), nullptr));
  EchoServer echo(std::move(server));
  ASSERT_TRUE(echo.listening());
  AsyncClient c;
  ASSERT_TRUE(c.setTlsVersions(version, version));
  c.setSendBuffer(size >= kMiB ? kMiB : 64 * kKiB);
  trustTestCa(c);
  ClientLog log;
  Sender sender(pattern(size, 3));
  std::atomic<bool> ackedMoreThanSent{false};
  ClientHooks hooks = pumpingHooks(sender);
  auto pump = hooks.onAck;
  std::atomic<size_t> ackSum{0};
  hooks.onAck = [&](AsyncClient *cl, size_t len, uint32_t t) {
    ackSum += len;
    if (ackSum.load() > sender.sent())
      ackedMoreThanSent = true;
    pump(cl, len, t);
  };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(ipText(loopback4()).c_str(), echo.port(), true));
  ASSERT_TRUE(log.waitConnected(10000ms)) << ::testing::PrintToString(log.events());
  EXPECT_TRUE(c.secure());
  ASSERT_NE(c.getSSL(), nullptr);
  EXPECT_EQ(SSL_version(c.getSSL()), int(version));  // the version asked for, not the default
  ASSERT_TRUE(log.waitReceived(size, 120000ms)) << log.received() << " of " << size;
  EXPECT_EQ(log.received(), size);
  EXPECT_EQ(checksum(log.data()), checksum(sender.payload()));
  // Every plaintext byte written is acked once, and none before it was written; the
  // handshake's bytes are not counted.
  EXPECT_TRUE(log.waitAcked(size, 10000ms)) << log.acked() << " of " << size;
  EXPECT_EQ(log.acked(), size);
  EXPECT_FALSE(ackedMoreThanSent.load());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(log.errors().empty());
  EXPECT_EQ(log.lateCallbacks(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, TlsEcho,
    ::testing::Combine(::testing::Values(uint16_t(ASYNC_TCP_TLS_1_2), uint16_t(ASYNC_TCP_TLS_1_3)),
                       ::testing::Values(size_t(1), size_t(100), size_t(16 * 1024),
                                         size_t(16 * 1024 + 1), size_t(100000), size_t(kMiB),
                                         size_t(16 * kMiB))),
    [](const auto &info) {
      return std::string(std::get<0>(info.param) == ASYNC_TCP_TLS_1_2 ? "Tls12_" : "Tls13_") +
             std::to_string(std::get<1>(info.param));
    });

TEST(TlsClient, NoCommonVersionIsRefused) {
  auto server = std::make_unique<AsyncServer>(loopback4(), 0);
  ASSERT_TRUE(server->setTlsVersions(ASYNC_TCP_TLS_1_2, ASYNC_TCP_TLS_1_2));
  EXPECT_FALSE(server->setTlsVersions(0x0301));  // TLS 1.0: not spoken
  EXPECT_FALSE(server->setTlsVersions(ASYNC_TCP_TLS_1_3, ASYNC_TCP_TLS_1_2));
  ASSERT_TRUE(
      server->beginSecure(certs().server.certPem.c_str(), certs().server.keyPem.c_str(), nullptr));
  EchoServer echo(std::move(server));
  AsyncClient c;
  trustTestCa(c);
  ASSERT_TRUE(c.setTlsVersions(ASYNC_TCP_TLS_1_3));
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_ALERT));  // its protocol_version alert
  EXPECT_EQ(echo.accepted(), 0);
}

TEST(TlsClient, CloseSendsCloseNotifyBeforeTheFin) {
  TlsPeer peer(TlsPeer::Script::Echo, certs().server);
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c, writeOnConnect("bye"));
  ASSERT_TRUE(c.connect(peer.ip(), peer.port(), true));
  ASSERT_TRUE(log.waitReceived(3, 10000ms)) << ::testing::PrintToString(log.events());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  ASSERT_TRUE(waitFor([&] { return peer.peerEnded(); }));
  EXPECT_TRUE(peer.closeNotifyReceived());
  EXPECT_TRUE(log.errors().empty());
}

TEST(TlsClient, ConnectsByNameAndTheNameIsChecked) {
  FakeDnsServer dns(FakeDnsServer::Mode::AnswerLoopback);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo(secureServer(certs().server));
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c, writeOnConnect("by name"));
  ASSERT_TRUE(c.connect("localhost", echo.port(), true));
  ASSERT_TRUE(log.waitReceived(7, 10000ms)) << ::testing::PrintToString(log.events());
  EXPECT_EQ(log.data(), "by name");
  c.close();
  ASSERT_TRUE(log.waitDisconnected());

  // A name the certificate does not carry.
  EchoServer other(secureServer(certs().otherName));
  AsyncClient d;
  trustTestCa(d);
  ClientLog dlog;
  dlog.attach(d);
  ASSERT_TRUE(d.connect("localhost", other.port(), true));
  ASSERT_TRUE(dlog.waitDisconnected(10000ms));
  EXPECT_EQ(dlog.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_NAME));
  asynctcp::setDnsServers("");
}

TEST(TlsClient, PlainConnectOnTheSameClientAfterASecureOne) {
  EchoServer secureEcho(secureServer(certs().server));
  EchoServer plainEcho;
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c, writeOnConnect("ping"));
  ASSERT_TRUE(c.connect(loopback4(), secureEcho.port(), true));
  ASSERT_TRUE(log.waitReceived(4, 10000ms));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), plainEcho.port()));
  ASSERT_TRUE(log.waitReceived(8, 10000ms));
  EXPECT_FALSE(c.secure());
  EXPECT_EQ(c.getSSL(), nullptr);
  c.close();
  ASSERT_TRUE(waitFor([&] { return log.disconnects() == 2; }));  // the second connection's
}

TEST(TlsClient, PinnedCertificateIsTheTrustWithoutARootCa) {
  EchoServer echo(secureServer(certs().server));
  AsyncClient c;
  ASSERT_TRUE(c.addServerFingerprint(certs().server.sha256.data(), certs().server.sha256.size()));
  EXPECT_FALSE(c.addServerFingerprint(certs().server.sha256.data(), 20));
  ClientLog log;
  log.attach(c, writeOnConnect("pinned"));
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitReceived(6, 10000ms)) << ::testing::PrintToString(log.events());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
}

TEST(TlsClient, InsecureIsOnlyWhatTheUserAskedFor) {
  EchoServer echo(secureServer(certs().server));
  AsyncClient c;  // the system's roots: the test CA is not among them
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_UNTRUSTED));

  AsyncClient d;
  d.setInsecure();
  ClientLog dlog;
  dlog.attach(d, writeOnConnect("anyway"));
  ASSERT_TRUE(d.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(dlog.waitReceived(6, 10000ms));
  d.close();
  ASSERT_TRUE(dlog.waitDisconnected());
}

TEST(TlsClient, PreSharedKeys) {
  auto server = std::make_unique<AsyncServer>(loopback4(), 0);
  server->setPsk("device-1", "00112233445566778899aabbccddeeff");
  ASSERT_TRUE(server->beginSecure(nullptr, nullptr, nullptr));
  EchoServer echo(std::move(server));

  AsyncClient c;
  c.setPsk("device-1", "00112233445566778899AABBCCDDEEFF");
  ClientLog log;
  log.attach(c, writeOnConnect("psk"));
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitReceived(3, 10000ms)) << ::testing::PrintToString(log.events());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());

  // A wrong key, on each version: a binder the server refuses (1.3), a Finished that does not
  // verify (1.2). Either way the client names the key.
  for (uint16_t version : {uint16_t(ASYNC_TCP_TLS_1_2), uint16_t(ASYNC_TCP_TLS_1_3)}) {
    AsyncClient wrong;
    wrong.setPsk("device-1", "ffeeddccbbaa99887766554433221100");
    ASSERT_TRUE(wrong.setTlsVersions(version, version));
    ClientLog wlog;
    wlog.attach(wrong);
    ASSERT_TRUE(wrong.connect(loopback4(), echo.port(), true));
    ASSERT_TRUE(wlog.waitDisconnected(10000ms));
    EXPECT_EQ(wlog.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_PSK)) << std::hex << version;
  }

  AsyncClient bad;
  bad.setPsk("device-1", "not hex");
  ClientLog blog;
  blog.attach(bad);
  ASSERT_TRUE(bad.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(blog.waitDisconnected(10000ms));
  EXPECT_EQ(blog.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_CONFIG));
  EXPECT_EQ(echo.accepted(), 1);
}

// ---- failures, each with its own error ----

TEST(TlsFailure, ExpiredCertificate) {
  EchoServer echo(secureServer(certs().expired));
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_EXPIRED));
  EXPECT_EQ(echo.accepted(), 0);  // the server never announced it
}

TEST(TlsFailure, WrongPin) {
  EchoServer echo(secureServer(certs().server));
  AsyncClient c;
  std::vector<uint8_t> pin = certs().server.sha256;
  pin[0] ^= 1;
  c.addServerFingerprint(pin.data());
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_PIN));
}

TEST(TlsFailure, PeerThatSpeaksPlainTcp) {
  RawListener listener;
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(listener.ip(), listener.port(), true));
  RawSocket peer = listener.accept();
  ASSERT_TRUE(peer.valid());
  std::string hello;
  ASSERT_TRUE(peer.recvExactly(5, hello));
  EXPECT_EQ(hello[0], '\x16');  // a handshake record: the ClientHello
  peer.sendAll("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_PROTOCOL));
}

TEST(TlsFailure, GarbageAfterTheHandshake) {
  TlsPeer peer(TlsPeer::Script::GarbageAfterHandshake, certs().server);
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(peer.ip(), peer.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(),
            (std::vector<std::string>{
                "connect", "error:" + std::to_string(ASYNC_TCP_ERR_TLS_PROTOCOL), "disconnect"}));
}

TEST(TlsFailure, PeerLeavesInTheHandshake) {
  TlsPeer fin(TlsPeer::Script::CloseAfterHello, certs().server);
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(fin.ip(), fin.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ERR_CLSD));

  TlsPeer rst(TlsPeer::Script::ResetAfterHello, certs().server);
  AsyncClient d;
  trustTestCa(d);
  ClientLog dlog;
  dlog.attach(d);
  ASSERT_TRUE(d.connect(rst.ip(), rst.port(), true));
  ASSERT_TRUE(dlog.waitDisconnected(10000ms));
  EXPECT_EQ(dlog.lifecycle(), failedWith(ERR_RST));
}

TEST(TlsFailure, HandshakeTimesOutWithinTheConnectTimeout) {
  TlsPeer peer(TlsPeer::Script::Silent, certs().server);
  AsyncClient c;
  trustTestCa(c);
  c.setConnectTimeout(300);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(peer.ip(), peer.port(), true));
  ASSERT_TRUE(log.waitDisconnected(10000ms));
  EXPECT_EQ(log.lifecycle(), failedWith(ASYNC_TCP_ERR_TLS_TIMEOUT));
}

TEST(TlsFailure, CloseAndAbortInTheHandshake) {
  TlsPeer p1(TlsPeer::Script::Silent, certs().server);
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c);
  ASSERT_TRUE(c.connect(p1.ip(), p1.port(), true));
  ASSERT_TRUE(waitFor([&] { return p1.accepted(); }));
  std::this_thread::sleep_for(50ms);  // the ClientHello is out
  EXPECT_TRUE(c.connecting());
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.space(), 0u);
  EXPECT_EQ(c.write("early"), 0u);
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"disconnect"}));

  TlsPeer p2(TlsPeer::Script::Silent, certs().server);
  AsyncClient d;
  trustTestCa(d);
  ClientLog dlog;
  dlog.attach(d);
  ASSERT_TRUE(d.connect(p2.ip(), p2.port(), true));
  ASSERT_TRUE(waitFor([&] { return p2.accepted(); }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(d.abort(), ERR_ABRT);
  ASSERT_TRUE(dlog.waitDisconnected());
  EXPECT_EQ(dlog.lifecycle(), failedWith(ERR_ABRT));
}

TEST(TlsFailure, EveryCodeHasItsName) {
  for (int code = ASYNC_TCP_ERR_TLS_CONFIG; code <= ASYNC_TCP_ERR_TLS_HANDSHAKE; ++code)
    EXPECT_STRNE(AsyncClient::errorToString(int8_t(code)), "UNKNOWN") << code;
  EXPECT_STREQ(AsyncClient::errorToString(ASYNC_TCP_ERR_TLS_TIMEOUT), "TLS handshake timeout");
}

// ---- deleting the client in its callbacks ----

TEST(TlsLifetime, DeleteInOnConnectOnErrorAndOnDisconnect) {
  EchoServer echo(secureServer(certs().server));
  for (int where = 0; where < 3; ++where) {
    auto *c = new AsyncClient();
    if (where != 1)
      trustTestCa(*c);
    std::atomic<int> deleted{0};
    ClientHooks hooks;
    auto del = [&](AsyncClient *cl) {
      if (deleted.exchange(1) == 0)
        delete cl;
    };
    if (where == 0)
      hooks.onConnect = del;  // trusted: onConnect
    if (where == 1)
      hooks.onError = [&](AsyncClient *cl, int8_t) { del(cl); };  // untrusted: onError
    if (where == 2)
      hooks.onConnect = [](AsyncClient *cl) { cl->close(); };
    if (where == 2)
      hooks.onDisconnect = del;
    ClientLog log;
    log.attach(*c, hooks);
    ASSERT_TRUE(c->connect(loopback4(), echo.port(), true));
    ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }, 10000ms)) << where;
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(log.lateCallbacks(), 0) << where;
  }
}

// ---- the server side ----

// A TLS client handshake over a raw socket, driven by hand with the library's session.
bool handshakeByHand(RawSocket &s) {
  using namespace asynctcp::tls;
  Config config;
  config.role = Role::Client;
  config.verify = false;
  Failure why = Failure::None;
  std::string detail;
  std::unique_ptr<Session> session = Session::create(Context::create(config, &why, &detail), "");
  if (!session || !session->start())
    return false;
  const Clock::time_point until = Clock::now() + 5000ms;
  while (Clock::now() < until) {
    std::string out(session->pendingCipher(), '\0');
    out.resize(session->takeCipher(reinterpret_cast<uint8_t *>(&out[0]), out.size()));
    if (!out.empty() && !s.sendAll(out))
      return false;
    if (session->handshakeDone())
      return true;
    if (!s.waitReadable(100ms))
      continue;
    char buf[16384];
    const ssize_t n = ::recv(s.fd(), buf, sizeof buf, 0);
    if (n <= 0 || !session->feed(reinterpret_cast<const uint8_t *>(buf), size_t(n)))
      return false;
  }
  return false;
}

TEST(TlsServer, AFailedHandshakeNeverReachesOnClient) {
  EchoServer echo(secureServer(certs().server, stackIp4()));
  // Plain text to a TLS port: an alert, then the end, and no AsyncClient for the user.
  RawSocket s = rawConnect(stackIp4(), echo.port());
  ASSERT_TRUE(s.valid());
  ASSERT_TRUE(s.sendAll("GET / HTTP/1.0\r\n\r\n"));
  std::string reply;
  EXPECT_NE(s.readUntilEnd(5000ms, &reply), PeerEnd::Timeout);
  EXPECT_EQ(echo.accepted(), 0);
  // A peer that connects and leaves before finishing.
  RawSocket t = rawConnect(stackIp4(), echo.port());
  ASSERT_TRUE(t.valid());
  t.closeWithReset();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(echo.accepted(), 0);
}

TEST(TlsServer, DeletedWhileAConnectionIsInItsHandshake) {
  std::atomic<int> announced{0};
  auto server = secureServer(certs().server, stackIp4());
  server->onClient([&](void *, AsyncClient *) { announced++; }, nullptr);
  const uint16_t port = server->port();
  // A client that stays in its handshake: the test's own session, fed by hand.
  RawSocket s = rawConnect(stackIp4(), port);
  ASSERT_TRUE(s.valid());
  std::this_thread::sleep_for(100ms);  // accepted
  server.reset();
  // The handshake completes against a server that is gone: dropped, never announced.
  EXPECT_TRUE(handshakeByHand(s));
  EXPECT_NE(s.readUntilEnd(5000ms), PeerEnd::Timeout);
  EXPECT_EQ(announced.load(), 0);
}

TEST(TlsServer, BeginIsPlainWhateverTlsSettingsOrAnEarlierBeginSecureLeft) {
  // TLS settings alone (a file handler, a PSK) leave begin() plain.
  auto server = std::make_unique<AsyncServer>(loopback4(), 0);
  server->onSslFileRequest([](void *, const char *, uint8_t **) { return 0; }, nullptr);
  server->setPsk("device-1", "00112233");
  server->begin();
  EchoServer plain(std::move(server));
  AsyncClient c;
  ClientLog log;
  log.attach(c, writeOnConnect("plain"));
  ASSERT_TRUE(c.connect(loopback4(), plain.port()));
  ASSERT_TRUE(log.waitReceived(5, 10000ms)) << ::testing::PrintToString(log.events());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());

  // beginSecure(), end(), begin(): plain again.
  AsyncServer s(stackIp4(), 0);  // a raw peer connects: lwIP's end of the link there
  std::atomic<int> announced{0};
  s.onClient(
      [&](void *, AsyncClient *cl) {
        announced++;
        cl->onDisconnect([](void *, AsyncClient *x) { delete x; }, nullptr);
      },
      nullptr);
  ASSERT_TRUE(
      s.beginSecure(certs().server.certPem.c_str(), certs().server.keyPem.c_str(), nullptr));
  s.end();
  s.begin();
  ASSERT_EQ(s.status(), LISTEN);
  RawSocket raw = rawConnect(stackIp4(), s.port());
  ASSERT_TRUE(raw.valid());
  EXPECT_TRUE(waitFor([&] { return announced.load() == 1; }));  // at once: no handshake
}

TEST(TlsServer, CertificateAndKeyFromTheFileHandlerFromFilesAndEncrypted) {
  TempDir dir;
  const std::string password = "s3cret";
  const std::string certFile = dir.write("cert.pem", certs().server.certPem);
  const std::string keyFile =
      dir.write("key.pem", tst::tls::encryptKey(certs().server.keyPem, password));
  // From files.
  {
    auto server = std::make_unique<AsyncServer>(loopback4(), 0);
    ASSERT_TRUE(server->beginSecure(certFile.c_str(), keyFile.c_str(), password.c_str()));
    EchoServer echo(std::move(server));
    AsyncClient c;
    trustTestCa(c);
    ClientLog log;
    log.attach(c, writeOnConnect("file"));
    ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
    ASSERT_TRUE(log.waitReceived(4, 10000ms));
    c.close();
    ASSERT_TRUE(log.waitDisconnected());
  }
  // Through onSslFileRequest (firmware serving from flash), names it alone knows.
  {
    auto server = std::make_unique<AsyncServer>(loopback4(), 0);
    std::vector<std::string> asked;
    server->onSslFileRequest(
        [&](void *, const char *name, uint8_t **buf) -> int {
          asked.push_back(name);
          std::string text =
              std::string(name) == "/flash/cert" ? certs().server.certPem : certs().server.keyPem;
          if (std::string(name) != "/flash/cert" && std::string(name) != "/flash/key")
            return 0;
          *buf = static_cast<uint8_t *>(std::malloc(text.size()));
          std::memcpy(*buf, text.data(), text.size());
          return int(text.size());
        },
        nullptr);
    EXPECT_FALSE(server->beginSecure("/flash/none", "/flash/key", nullptr));
    EXPECT_EQ(server->status(), CLOSED);
    ASSERT_TRUE(server->beginSecure("/flash/cert", "/flash/key", nullptr));
    EXPECT_EQ(asked, (std::vector<std::string>{"/flash/none", "/flash/cert", "/flash/key"}));
    EchoServer echo(std::move(server));
    AsyncClient c;
    trustTestCa(c);
    ClientLog log;
    log.attach(c, writeOnConnect("flash"));
    ASSERT_TRUE(c.connect(loopback4(), echo.port(), true));
    ASSERT_TRUE(log.waitReceived(5, 10000ms));
    c.close();
    ASSERT_TRUE(log.waitDisconnected());
  }
  // A wrong password, a missing file: false, not listening.
  AsyncServer wrong(loopback4(), 0);
  EXPECT_FALSE(wrong.beginSecure(certFile.c_str(), keyFile.c_str(), "nope"));
  EXPECT_EQ(wrong.status(), CLOSED);
  EXPECT_FALSE(wrong.beginSecure("/nonexistent/cert.pem", keyFile.c_str(), password.c_str()));
}

// ---- onAck over TLS: never bytes only encrypted ----

TEST(TlsAck, BytesThePeerHasNotTakenAreNotAcked) {
  TlsPeer peer(TlsPeer::Script::Stall, certs().server);
  AsyncClient c;
  trustTestCa(c);
  c.setSendBuffer(8 * kMiB);
  ClientLog log;
  Sender sender(pattern(8 * kMiB, 5));
  log.attach(c, pumpingHooks(sender));
  ASSERT_TRUE(c.connect(peer.ip(), peer.port(), true));
  ASSERT_TRUE(log.waitConnected(10000ms));
  ASSERT_TRUE(waitFor([&] { return peer.handshakeDone(); }, 10000ms));
  // The peer reads nothing: the sender fills what room there is (8 MiB on posix; lwIP's fixed
  // buffer), then stops, and what waits in our queue is not acked.
  std::this_thread::sleep_for(500ms);
  const size_t sentAtStall = sender.sent();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sender.sent(), sentAtStall);
  EXPECT_GT(sentAtStall, 0u);
  EXPECT_LT(log.acked(), sentAtStall);
  peer.drain();
  ASSERT_TRUE(log.waitAcked(8 * kMiB, 20000ms)) << log.acked();
  EXPECT_EQ(log.acked(), 8 * kMiB);
  ASSERT_TRUE(waitFor([&] { return peer.plaintextReceived() == 8 * kMiB; }, 10000ms));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
}

// ---- against openssl and curl ----

class TlsVersion : public ::testing::TestWithParam<const char *> {};

TEST_P(TlsVersion, OurClientAgainstOpensslServer) {
  TempDir dir;
  const std::string cert = dir.write("cert.pem", certs().server.certPem);
  const std::string key = dir.write("key.pem", certs().server.keyPem);
  ChildProcess server;
  ASSERT_TRUE(server.start({"openssl", "s_server", "-accept", ipText(peerIp4()) + ":0", "-cert",
                            cert, "-key", key, "-naccept", "1", "-rev", GetParam()}))
      << server.error();
  ASSERT_TRUE(server.waitForText("ACCEPT", 10000ms)) << server.err();
  const std::string &out = server.out();
  const uint16_t port = uint16_t(std::stoi(out.substr(out.rfind(':') + 1)));
  AsyncClient c;
  trustTestCa(c);
  ClientLog log;
  log.attach(c, writeOnConnect("abcdef\n"));
  ASSERT_TRUE(c.connect(ipText(peerIp4()).c_str(), port, true));
  ASSERT_TRUE(log.waitReceived(7, 10000ms))
      << ::testing::PrintToString(log.events()) << server.out();
  EXPECT_EQ(log.data(), "fedcba\n");
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(log.errors().empty());
}

TEST(TlsClient, PresentsItsCertificateToAServerThatRequiresOne) {
  TempDir dir;
  const std::string cert = dir.write("cert.pem", certs().server.certPem);
  const std::string key = dir.write("key.pem", certs().server.keyPem);
  const std::string ca = dir.write("ca.pem", certs().ca.certPem);
  const KeyPair client = tst::tls::makeLeaf(certs().ca, "device-7", {"device-7"});
  for (bool presents : {true, false}) {
    ChildProcess server;
    ASSERT_TRUE(
        server.start({"openssl", "s_server", "-accept", ipText(peerIp4()) + ":0", "-cert", cert,
                      "-key", key, "-CAfile", ca, "-Verify", "1", "-naccept", "1", "-rev"}))
        << server.error();
    ASSERT_TRUE(server.waitForText("ACCEPT", 10000ms)) << server.err();
    const std::string &out = server.out();
    const uint16_t port = uint16_t(std::stoi(out.substr(out.rfind(':') + 1)));
    AsyncClient c;
    trustTestCa(c);
    if (presents) {
      c.setClientCert(client.certPem.c_str(), client.certPem.size() + 1);  // with its NUL
      c.setClientKey(client.keyPem.c_str(), 0);                            // NUL-terminated
    }
    ClientLog log;
    log.attach(c, writeOnConnect("mutual\n"));
    ASSERT_TRUE(c.connect(ipText(peerIp4()).c_str(), port, true));
    if (presents) {
      ASSERT_TRUE(log.waitReceived(7, 10000ms)) << ::testing::PrintToString(log.events());
      EXPECT_EQ(log.data(), "lautum\n");
      c.close();
      ASSERT_TRUE(log.waitDisconnected());
      EXPECT_TRUE(log.errors().empty());
    } else {
      // TLS 1.3: the server checks the client after the client's Finished, so its alert
      // comes once onConnect has run.
      ASSERT_TRUE(log.waitDisconnected(10000ms));
      ASSERT_EQ(log.errors().size(), 1u) << ::testing::PrintToString(log.events());
      EXPECT_EQ(log.errors()[0], ASYNC_TCP_ERR_TLS_ALERT);
      EXPECT_EQ(log.data(), "");
    }
  }
}

// A server that answers one line per connection, then closes (with close_notify).
std::unique_ptr<AsyncServer> lineServer(std::atomic<int> &served) {
  auto server = secureServer(certs().server, stackIp4());
  server->onClient(
      [&served](void *, AsyncClient *c) {
        c->onData([&served](void *, AsyncClient *cl, void *data, size_t len) {
          std::string in(static_cast<char *>(data), len);
          served++;  // before the answer: the peer may read it and exit before we return
          if (in.rfind("GET ", 0) == 0) {
            cl->write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n");
          } else {
            cl->write(("echo:" + in).c_str());
          }
          cl->close();
        });
        c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
      },
      nullptr);
  return server;
}

TEST_P(TlsVersion, OpensslClientAgainstOurServer) {
  TempDir dir;
  const std::string ca = dir.write("ca.pem", certs().ca.certPem);
  std::atomic<int> served{0};
  auto server = lineServer(served);
  ChildProcess client;
  const std::string cmd = "printf 'hi\\n' | openssl s_client -connect " + ipText(stackIp4()) + ":" +
                          std::to_string(server->port()) + " -CAfile " + ca +
                          " -verify_return_error -quiet " + GetParam();
  ASSERT_TRUE(client.start({"sh", "-c", cmd}));
  ASSERT_TRUE(client.waitForText("echo:hi", 10000ms)) << client.out() << client.err();
  EXPECT_EQ(client.waitExit(10000ms) >= 0, true);
  EXPECT_EQ(served.load(), 1);
}

TEST_P(TlsVersion, CurlAgainstOurServer) {
  TempDir dir;
  const std::string ca = dir.write("ca.pem", certs().ca.certPem);
  std::atomic<int> served{0};
  auto server = lineServer(served);
  const std::string version = std::string(GetParam()) == "-tls1_2" ? "1.2" : "1.3";
  ChildProcess curl;
  ASSERT_TRUE(curl.start(
      {"curl", "-sS", "--max-time", "10", "--cacert", ca, "--tlsv" + version, "--tls-max", version,
       "https://" + ipText(stackIp4()) + ":" + std::to_string(server->port()) + "/"}));
  ASSERT_TRUE(curl.waitForText("hello", 10000ms)) << curl.out() << curl.err();
  EXPECT_EQ(curl.waitExit(10000ms), 0) << curl.err();
  EXPECT_EQ(served.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsVersion, ::testing::Values("-tls1_2", "-tls1_3"),
                         [](const auto &info) {
                           return std::string(info.param) == "-tls1_2" ? "Tls12" : "Tls13";
                         });

}  // namespace
