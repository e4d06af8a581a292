// ESPAsyncWebServer WebSocket examples: WebSocket, WebSocketEasy, WebSocketTest and
// AsyncTunnel, against a Python RFC 6455 client (peers/ws_script.py): text and binary
// messages from 1 byte to 1 MB where an example echoes, broadcasts to many clients at once,
// close codes, ping/pong, the client limits the examples set.
//
// The examples' loop() broadcasts from the main thread on a timer while callbacks take the
// same ESPAsyncWebServer locks (WebSocket.MessageRightAfterABroadcastIsAnswered holds the
// library to the ESP32 threading contract that makes this safe). The echo tests start
// right after one of an example's broadcasts (ws_script.py --sync) so that the messages
// they count are theirs, not the broadcast's.
#include "stream_example_support.h"

namespace webtest {
namespace {

using Script = std::vector<std::string>;

class WebSocket : public StreamExampleTest {};

TEST_F(WebSocket, PageAndPeriodicBroadcast) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocket"));
  const Response page = get("/");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.header("content-type"), "text/html");
  EXPECT_NE(page.body.find("new WebSocket('ws://192.168.4.1/ws')"), std::string::npos);
  // On connect: "new client connected" to all, a ping (answered by the client); then
  // "kp:3.3333" every 200 ms.
  const std::string out = wsScript(
      {"open", "/ws", "await-text", "new client connected", "count-text-prefix", "kp:3.3333", "2"});
  int count = 0;
  ASSERT_EQ(std::sscanf(out.substr(out.find("count ")).c_str(), "count %d", &count), 1) << out;
  EXPECT_GE(count, 6) << out;
  EXPECT_LE(count, 11) << out;
  EXPECT_TRUE(example().waitForText("ws connect", 1s));
  EXPECT_TRUE(example().waitForOutput(
      [](const std::string &o) { return o.find("] pong [") != std::string::npos; }, 2s))
      << "the server's ping was not answered: " << tail(example().out());
}

TEST_F(WebSocket, ThirdClientIsRefused) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocket"));
  // Two clients hold their connection; the third is answered 503 by the middleware.
  const Script hold = {"open", "/ws", "await-text", "new client connected", "sleep", "1.5"};
  const auto results =
      runAll({wsScriptArgv(hold), wsScriptArgv({"sleep", "0.3", "open", "/ws", "sleep", "1.2"}),
              wsScriptArgv({"sleep", "0.8", "open-refused", "/ws", "503"})},
             20s);
  for (const Finished &f : results)
    EXPECT_TRUE(f.ok()) << f.out << f.err;
  EXPECT_NE(results[2].out.find("refused 503 Server is busy"), std::string::npos) << results[2].out;
  // Once they left, a client is welcome again.
  wsScript({"open", "/ws", "await-text", "new client connected"});
}

TEST_F(WebSocket, TextIsAnsweredToAllWithAPing) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocket"));
  // Sent 100 ms after a "kp:" broadcast: between two of them (see the file's comment).
  const std::string out = wsScript({"open",
                                    "/ws",
                                    "await-text-prefix",
                                    "kp:",
                                    "sleep",
                                    "0.1",
                                    "send-text",
                                    "hello",
                                    "await-text",
                                    "Message received: hello",
                                    "await-text-prefix",
                                    "kp:",
                                    "sleep",
                                    "0.1",
                                    "ping",
                                    "abc",
                                    "await-text-prefix",
                                    "kp:",
                                    "sleep",
                                    "0.1",
                                    "close",
                                    "1000"});
  EXPECT_NE(out.find("pong abc"), std::string::npos) << out;
  EXPECT_NE(out.find("closed 1000"), std::string::npos) << out;
  EXPECT_TRUE(example().waitForText("ws text: hello", 2s)) << tail(example().out());
  EXPECT_TRUE(example().waitForText("ws disconnect", 2s)) << tail(example().out());
}

TEST_F(WebSocket, MessageRightAfterABroadcastIsAnswered) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocket"));
  // A browser answering each broadcast at once: the message meets loop()'s next
  // printfAll() in the service thread.
  Script script = {"--timeout", "5", "open", "/ws"};
  for (int i = 0; i < 10; ++i)
    for (const char *s : {"await-text-prefix", "kp:", "send-text", "hello", "await-text",
                          "Message received: hello"})
      script.push_back(s);
  wsScript(script, 60s);
}

class WebSocketEasy : public StreamExampleTest {
protected:
  // After the example's loop() broadcast ("now: ..."), which follows its cleanupClients().
  static Script synced(const Script &script) {
    Script s = {"--sync", "/ws", "now: "};
    s.insert(s.end(), script.begin(), script.end());
    return s;
  }
};

TEST_F(WebSocketEasy, TextIsEchoedToAllFromOneByteTo16K) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketEasy"));
  Script script = {"open", "/ws", "await-text-prefix", "New client: "};
  // The message handler takes unfragmented messages that arrive in one piece.
  for (const char *size : {"1", "125", "126", "1460", "4000", "16000"})
    for (const char *s : {"send-text-size", size, "await-echo"})
      script.push_back(s);
  script.push_back("send-text");
  script.push_back("hello");
  script.push_back("await-echo");
  const std::string out = wsScript(synced(script));
  EXPECT_NE(out.find("ok await-echo 16000"), std::string::npos) << out;
  EXPECT_TRUE(example().waitForText(" data: hello", 2s)) << tail(example().out());
}

TEST_F(WebSocketEasy, BinaryIsEchoedAsText) {
  // onMessage() answers with textAll(data, len), whatever the type received.
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketEasy"));
  wsScript(synced({"open", "/ws", "send-binary-size", "1", "await-echo-bytes", "send-binary-size",
                   "1000", "await-echo-bytes"}));
}

TEST_F(WebSocketEasy, PeriodicBroadcastPingAndClose) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketEasy"));
  const std::string out =
      wsScript(synced({"open", "/ws", "ping", "are-you-there", "await-text-prefix",
                       "now: ", "sleep", "0.2", "close", "1000"}));
  EXPECT_NE(out.find("pong are-you-there"), std::string::npos) << out;
  EXPECT_NE(out.find("closed 1000"), std::string::npos) << out;
  EXPECT_TRUE(example().waitForOutput(
      [](const std::string &o) { return o.find(" disconnected") != std::string::npos; }, 2s));
}

TEST_F(WebSocketEasy, TwentyClientsAtOnceEachGetEveryMessage) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketEasy"));
  // 20 connections open together, each sends one message, each must receive all 20
  // (textAll), then each closes. Done between two loop() ticks: the example's
  // cleanupClients() would close the oldest beyond 8.
  const std::string out =
      wsScript({"--clients", "20", "--sync", "/ws", "now: ", "open", "/ws", "barrier", "send-text",
                "crowd-{i}", "await-texts", "crowd-", "20", "barrier", "close", "1000"},
               40s);
  EXPECT_NE(out.find("clients 20 failed 0"), std::string::npos) << out;
  EXPECT_EQ(count(out, "] closed 1000"), 20u) << out;
}

TEST_F(WebSocketEasy, TwentyClientProcessesAtOnce) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketEasy"));
  // 20 ws_client.py-like processes: each opens, sends its own message and awaits its
  // echo, then closes; started right after a loop() tick.
  wsScript({"open", "/ws", "await-text-prefix", "now: ", "sleep", "0.1", "close", "1000"});
  std::vector<std::vector<std::string>> clients;
  for (int i = 0; i < 20; ++i)
    clients.push_back(wsScriptArgv({"open", "/ws", "send-text", "process-" + std::to_string(i),
                                    "await-echo", "close", "1000"}));
  const std::vector<Finished> done = runAll(clients, 30s);
  for (size_t i = 0; i < done.size(); ++i)
    EXPECT_TRUE(done[i].ok()) << i << ": " << done[i].out << done[i].err;
}

class WebSocketTest : public StreamExampleTest {
protected:
  // Right after loop()'s background broadcast ("SEQ=n LEN=4000"), every 2 s.
  static Script synced(const Script &script) {
    Script s = {"--sync", "/ws", "SEQ="};
    s.insert(s.end(), script.begin(), script.end());
    return s;
  }
  // Waits (20 s at most) until GET /clients counts n live WebSocket clients, draining the
  // peer that holds them; false if that peer ended first.
  bool waitForClients(unsigned n, ChildProcess &peer) {
    const std::string want = "{\"count\":" + std::to_string(n) + ",";
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      peer.pump();
      if (!peer.running())
        return false;
      if (get("/clients").body.rfind(want, 0) == 0)
        return true;
      example().pump(50ms);
    }
    return false;
  }
  // A peer started on its own, run to its end (killed at the timeout).
  Finished finish(ChildProcess &peer, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (peer.running() && std::chrono::steady_clock::now() < deadline) {
      peer.pump();
      example().pump(5ms);
    }
    Finished f;
    if (peer.running()) {
      peer.signal(SIGKILL);
      peer.waitExit(5s);
    } else {
      f.status = peer.waitExit(1s);
    }
    peer.pump();
    f.out = peer.out();
    f.err = peer.err();
    return f;
  }
};

TEST_F(WebSocketTest, CommandsAnswer) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  const std::string out = wsScript(synced({"open",
                                           "/ws",
                                           "await-text",
                                           "a new client connected",
                                           "send-text",
                                           "echo hi there",
                                           "await-text",
                                           "hi there",
                                           "send-text",
                                           "text 4000",
                                           "await-text-prefix",
                                           "SEQ=",
                                           "send-text",
                                           "bin deadbeef",
                                           "await-binary",
                                           "deadbeef",
                                           "send-text",
                                           "bin zz",
                                           "await-text",
                                           "ERR: bad hex",
                                           "send-text",
                                           "text 0",
                                           "await-text",
                                           "ERR: 0 < len <= 65000",
                                           "send-text",
                                           "nonsense",
                                           "await-text-prefix",
                                           "ERR: unknown command",
                                           "send-text",
                                           "ping",
                                           "sleep",
                                           "0.1"}));
  EXPECT_NE(out.find("LEN=4000\\n0123456789"), std::string::npos) << out;
  EXPECT_TRUE(example().waitForText("[cmd] client #", 1s));
  // The connect-time ping and the "ping" command's: the pong payload (a timestamp) comes
  // back to the callback.
  EXPECT_TRUE(example().waitForOutput(
      [](const std::string &o) { return count(o, "[ws] pong id=") >= 2; }, 2s))
      << tail(example().out());
}

TEST_F(WebSocketTest, TextOfEverySizeArrivesWhole) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  Script script = {"open", "/ws"};
  // Frame header variants (7, 16 bit lengths), one MSS, fragmentation, the largest.
  for (const char *size : {"1", "125", "126", "1460", "2000", "8192", "65000"}) {
    script.push_back("send-text");
    script.push_back(std::string("text ") + size);
    script.push_back("await-text-prefix");
    script.push_back(std::string("SEQ="));
  }
  const std::string out = wsScript(synced(script));
  // The payload names its length: "SEQ=n LEN=<len>\n0123...".
  for (const char *len : {"LEN=125\\n", "LEN=126\\n", "LEN=1460\\n", "LEN=65000\\n"})
    EXPECT_NE(out.find(len), std::string::npos) << len << "\n" << out;
}

TEST_F(WebSocketTest, BinaryIsEchoedFromOneByteToOneMegabyte) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  // The example echoes each piece the server receives as a binary message: together they
  // must be the message sent.
  Script script = {"open", "/ws"};
  for (const char *size : {"1", "125", "126", "65535", "65536", "100000", "1048576"})
    for (const char *s : {"send-binary-size", size, "await-binary-total", size})
      script.push_back(s);
  const std::string out = wsScript(synced(script));
  EXPECT_NE(out.find("ok binary 1048576 in "), std::string::npos) << out;
}

TEST_F(WebSocketTest, BurstArrivesInOrder) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  Script script = {"open", "/ws", "send-text", "burst 20 2000"};
  // g_seq counts every payload; the background broadcast took one before the burst.
  const std::string out = wsScript(synced([&] {
    for (int i = 0; i < 20; ++i) {
      script.push_back("await-text-prefix");
      script.push_back("SEQ=");
    }
    return script;
  }()));
  std::vector<int> seqs;
  for (const std::string &line : sketchtest::lines(out)) {
    int seq = 0, len = 0;
    if (std::sscanf(line.c_str(), "text SEQ=%d LEN=%d", &seq, &len) == 2) {
      EXPECT_EQ(len, 2000) << line;
      seqs.push_back(seq);
    }
  }
  ASSERT_EQ(seqs.size(), 20u) << out;
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << out;
  EXPECT_TRUE(example().waitForText("[burst] enqueued 20 x 2000 bytes", 2s));
}

TEST_F(WebSocketTest, CloseCodes) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  // The server closes one client (1000 "bye"), then, on "closeall", the other two (1011).
  const std::string mine =
      wsScript(synced({"open", "/ws", "send-text", "close", "await-close", "1000"}));
  EXPECT_NE(mine.find("closed 1000 bye"), std::string::npos) << mine;
  wsScript({"open", "/ws", "await-text-prefix", "SEQ=", "sleep", "0.1", "close", "1000"});
  // The one that waits is connected (the server counts it) before the other asks for
  // closeall: the state is waited for, not guessed from a sleep on a loaded machine.
  ChildProcess waiting;
  ASSERT_TRUE(waiting.start(wsScriptArgv({"open", "/ws", "await-close", "1011"})));
  ASSERT_TRUE(waitForClients(1, waiting));
  const Finished closer =
      run(wsScriptArgv({"open", "/ws", "send-text", "closeall", "await-close", "1011"}), 20s);
  const Finished waited = finish(waiting, 20s);
  for (const Finished &f : {closer, waited}) {
    EXPECT_TRUE(f.ok()) << f.out << f.err;
    EXPECT_NE(f.out.find("closed 1011 server going away"), std::string::npos) << f.out;
  }
  // A client's own close is answered with its code.
  const std::string own = wsScript(synced({"open", "/ws", "close", "4000"}));
  EXPECT_NE(own.find("closed 4000"), std::string::npos) << own;
}

TEST_F(WebSocketTest, FifthClientIsRefused) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  // Four clients connect one after the other (each waits for its own welcome), the fifth
  // is answered 503 by the middleware; /clients lists the four. All right after a
  // background broadcast.
  wsScript({"open", "/ws", "await-text-prefix", "SEQ=", "sleep", "0.1", "close", "1000"});
  // The four hold their connections while the test waits until the server counts them,
  // then asks with a fifth: no guess of how long four handshakes take on a loaded machine.
  ChildProcess four;
  ASSERT_TRUE(four.start(wsScriptArgv(
      {"--clients", "4", "open", "/ws", "await-text", "a new client connected", "sleep", "60"})));
  ASSERT_TRUE(waitForClients(4, four));
  const Finished fifth = run(wsScriptArgv({"open-refused", "/ws", "503"}), 20s);
  EXPECT_TRUE(fifth.ok()) << fifth.out << fifth.err;
  EXPECT_NE(fifth.out.find("refused 503 WS server full"), std::string::npos) << fifth.out;
  const Response list = get("/clients");
  EXPECT_EQ(list.status, 200) << list.error;
  EXPECT_EQ(list.header("content-type"), "application/json");
  EXPECT_EQ(list.body.rfind("{\"count\":", 0), 0u) << list.body;
  EXPECT_EQ(list.body.rfind("{\"count\":4", 0), 0u) << list.body;
  four.signal(SIGKILL);
  four.waitExit(5s);
  four.pump();
  size_t welcomed = 0;
  for (size_t at = 0; (at = four.out().find("ok await-text", at)) != std::string::npos; ++at)
    ++welcomed;
  EXPECT_EQ(welcomed, 4u) << four.out();
}

TEST_F(WebSocketTest, BroadcastsReachEveryClient) {
  ASSERT_NO_FATAL_FAILURE(startExample("WebSocketTest"));
  // Client 0 asks for textall/binall/echoall once the others are connected; all get them.
  const std::string out = wsScript({"--clients",
                                    "3",
                                    "--sync",
                                    "/ws",
                                    "SEQ=",
                                    "open",
                                    "/ws",
                                    "barrier",
                                    "send-text",
                                    "echoall from-{i}",
                                    "await-texts",
                                    "from-",
                                    "3",
                                    "barrier",
                                    "send-text",
                                    "binall 3000",
                                    "await-binary-prefix",
                                    "SEQ=",
                                    "3000",
                                    "barrier",
                                    "close",
                                    "1000"},
                                   30s);
  EXPECT_NE(out.find("clients 3 failed 0"), std::string::npos) << out;
  EXPECT_EQ(count(out, "texts from-0 from-1 from-2"), 3u) << out;
}

class AsyncTunnel : public StreamExampleTest {};

TEST_F(AsyncTunnel, FetchesAUrlThroughTheWebSocket) {
  ASSERT_NO_FATAL_FAILURE(startExample("AsyncTunnel"));
  const Response page = get("/");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_NE(page.body.find("WebSocket Tunnel Example"), std::string::npos);
  // The tunnel opens an AsyncClient to the URL's host (the example itself, on loopback)
  // and forwards the answer as binary messages.
  const std::string out =
      wsScript({"open", "/ws", "await-binary-prefix", "WebSocket connected!", "20", "send-text",
                "http://127.0.0.1:80/", "await-binary-joined", "</html>"});
  EXPECT_NE(out.find("ok joined"), std::string::npos) << out;
  EXPECT_TRUE(example().waitForText("Tunnel connected!", 2s)) << tail(example().out());
  EXPECT_TRUE(example().waitForText("Tunnel disconnected!", 2s)) << tail(example().out());
  EXPECT_TRUE(example().waitForText("HTTP/1.1 200 OK", 1s));
}

TEST_F(AsyncTunnel, BadUrlsAreIgnoredOrReported) {
  ASSERT_NO_FATAL_FAILURE(startExample("AsyncTunnel"));
  // Not http://: ignored. A closed port: the error is logged; the WebSocket stays up.
  wsScript({"open", "/ws", "send-text", "ftp://127.0.0.1/", "send-text", "http://127.0.0.1:1/",
            "sleep", "0.5", "send-text", "http://127.0.0.1/", "await-binary-joined",
            "WebSocket Tunnel Example"});
  EXPECT_TRUE(example().waitForText("Tunnel error: ", 2s)) << tail(example().out());
  EXPECT_EQ(count(example().out(), "Fetching: "), 2u) << tail(example().out());
}

}  // namespace
}  // namespace webtest
