// The ChargenServer sketch against nc: the RFC 864 stream arrives byte for byte, a peer
// that reads slowly (or stops reading) is served at its pace, and the server keeps
// serving other peers meanwhile.
#include <unistd.h>

#include <cstdint>
#include <string>

#include "sketch_fixture.h"

namespace sketchtest {
namespace {

// RFC 864's pattern, written out independently of the sketch: line L is the 72
// printable characters starting at ' ' + L mod 95, then CR LF.
char expectedByte(uint64_t offset) {
  const uint64_t line = offset / 74, column = offset % 74;
  if (column == 72)
    return '\r';
  if (column == 73)
    return '\n';
  return static_cast<char>(' ' + (line + column) % 95);
}

// Reads from an nc peer and checks every byte against the pattern.
class StreamChecker {
public:
  explicit StreamChecker(ChildProcess &nc) : _nc(nc) {}
  // Reads `bytes` more (in reads of at most `chunk`); false on a timeout, EOF or a
  // wrong byte (then mismatch() says where).
  bool readAndCheck(uint64_t bytes, size_t chunk = 65536, milliseconds timeout = 10000ms) {
    const uint64_t target = _offset + bytes;
    while (_offset < target) {
      const std::string data = _nc.read(std::min<uint64_t>(chunk, target - _offset), timeout);
      if (data.empty())
        return false;
      for (char c : data) {
        if (c != expectedByte(_offset) && _mismatch.empty())
          _mismatch = "byte " + std::to_string(_offset) + " is " + std::to_string(int(c)) +
                      ", expected " + std::to_string(int(expectedByte(_offset)));
        ++_offset;
      }
      if (!_mismatch.empty())
        return false;
    }
    return true;
  }
  uint64_t offset() const { return _offset; }
  const std::string &mismatch() const { return _mismatch; }

private:
  ChildProcess &_nc;
  uint64_t _offset = 0;
  std::string _mismatch;
};

class ChargenSketch : public SketchTest {
protected:
  void SetUp() override {
    if (!kSketchReachesLinuxPeers)
      GTEST_SKIP() << kNoLinuxPeersOnLwip;
    ASSERT_NO_FATAL_FAILURE(SketchTest::SetUp());
    if (IsSkipped())
      return;
    ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("ChargenServer")}));
    ASSERT_TRUE(sketch.waitForText("chargen listening on port 19", 10s))
        << sketch.out() << sketch.err();
  }
  void connectNc(ChildProcess &nc) {
    ASSERT_NO_FATAL_FAILURE(start(nc, {"nc", "127.0.0.1", "19"}));
  }
  ChildProcess sketch;
};

TEST_F(ChargenSketch, DeliversTheRfc864PatternToNc) {
  ChildProcess nc;
  ASSERT_NO_FATAL_FAILURE(connectNc(nc));
  StreamChecker stream(nc);
  // Several times the 64 KiB send budget, so the stream crosses many onAck refills
  // and wraps the 95-character ring many times.
  EXPECT_TRUE(stream.readAndCheck(4 * 1024 * 1024))
      << stream.mismatch() << " after " << stream.offset() << " bytes";
  EXPECT_TRUE(sketch.waitForText("connected", 5s)) << sketch.out();
  nc.signal(SIGTERM);
  EXPECT_NE(nc.waitExit(5s), -1);
  EXPECT_TRUE(sketch.waitForText("disconnected after", 5s)) << sketch.out();
  expectCleanStop(sketch);
}

TEST_F(ChargenSketch, ServesASlowReaderAtItsPaceAndOthersMeanwhile) {
  ChildProcess slow;
  ASSERT_NO_FATAL_FAILURE(connectNc(slow));
  StreamChecker slowStream(slow);
  // 4 KiB every 50 ms, then not reading at all for 2 s: the window closes, the sketch's
  // space() stays at 0 through several polls.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(slowStream.readAndCheck(4096, 4096)) << slowStream.mismatch();
    usleep(50 * 1000);
  }

  ChildProcess fast;
  ASSERT_NO_FATAL_FAILURE(connectNc(fast));
  StreamChecker fastStream(fast);
  EXPECT_TRUE(fastStream.readAndCheck(8 * 1024 * 1024)) << fastStream.mismatch();
  sleep(2);
  sketch.pump();

  // The stalled stream resumes exactly where it stopped, for well past the data that
  // was queued when it stalled (socket buffers plus the sketch's budget).
  EXPECT_TRUE(slowStream.readAndCheck(16 * 1024 * 1024))
      << slowStream.mismatch() << " after " << slowStream.offset() << " bytes";
  slow.signal(SIGTERM);
  fast.signal(SIGTERM);
  EXPECT_TRUE(sketch.waitForOutput(
      [](const std::string &out) {
        size_t n = 0;
        for (const std::string &l : lines(out))
          n += l.find("disconnected after") != std::string::npos;
        return n == 2;
      },
      5s))
      << sketch.out();
  expectCleanStop(sketch);
}

TEST_F(ChargenSketch, StopsWithStatusZeroOnSigint) {
  ChildProcess nc;
  ASSERT_NO_FATAL_FAILURE(connectNc(nc));
  StreamChecker stream(nc);
  ASSERT_TRUE(stream.readAndCheck(1024 * 1024)) << stream.mismatch();
  // Stopped while a client is still being served.
  expectCleanStop(sketch, SIGINT);
  // The last line the sketch printed before the signal reached the pipe (line-buffered,
  // flushed at exit).
  const std::vector<std::string> printed = lines(sketch.out());
  ASSERT_FALSE(printed.empty());
  EXPECT_EQ(printed.back().substr(printed.back().size() - 10), " connected") << sketch.out();
}

}  // namespace
}  // namespace sketchtest
