// The provided-buffer ring the engine receives into, with a multishot receive as the
// engine arms it: every byte arrives, in order, through a ring far smaller than the
// stream, including each time the ring runs dry (ENOBUFS ends the receive; the data
// stays in the socket until the receive is armed again).
#include <gtest/gtest.h>

#include <errno.h>

#include <string>
#include <thread>

#include "backends/uring/buffer_ring.h"
#include "backends/uring/ring_support.h"
#include "test_support.h"

using asynctcp::backend::uring::BufferRing;
using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::setUpRing;
using namespace tst;

namespace {

struct Ring {
  io_uring ring;
  bool ok = false;
  Ring() { ok = setUpRing(&ring, 64, 2, nullptr) == 0; }
  ~Ring() {
    if (ok)
      io_uring_queue_exit(&ring);
  }
};

void armRecv(io_uring *ring, int fd, uint16_t group) {
  io_uring_sqe *sqe = io_uring_get_sqe(ring);
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = group;
  sqe->user_data = 7;
}

}  // namespace

TEST(BufferRing, RefusesACountThatIsNotAPowerOfTwo) {
  Ring r;
  ASSERT_TRUE(r.ok);
  BufferRing buffers;
  EXPECT_EQ(buffers.setUp(&r.ring, 1, 3, 4096), -EINVAL);
  EXPECT_EQ(buffers.setUp(&r.ring, 1, 0, 4096), -EINVAL);
  EXPECT_EQ(buffers.setUp(&r.ring, 1, 4, 0), -EINVAL);
}

TEST(BufferRing, AMegabyteThroughFourBuffersArrivesWholeAcrossEveryRunDry) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring cannot run here: " << probeRing().why;
  Ring r;
  ASSERT_TRUE(r.ok);
  BufferRing buffers;
  ASSERT_EQ(buffers.setUp(&r.ring, 1, 4, 4096), 0);
  RawListener listener(loopback4());
  RawSocket sender = rawConnect(loopback4(), listener.port());
  RawSocket receiver = listener.accept();
  ASSERT_TRUE(sender.valid() && receiver.valid());

  const std::string sent = pattern(1024 * 1024, 5);
  std::thread writer([&] {
    sender.sendAll(sent, 20000ms);
    sender.shutdownWrite();
  });
  std::string got;
  int runDry = 0;
  uint16_t held[4];
  int heldCount = 0;
  armRecv(&r.ring, receiver.fd(), buffers.group());
  for (bool done = false; !done;) {
    ASSERT_GE(io_uring_submit_and_wait(&r.ring, 1), 0);
    io_uring_cqe *cqe;
    while (!done && io_uring_peek_cqe(&r.ring, &cqe) == 0) {
      const int res = cqe->res;
      const unsigned flags = cqe->flags;
      io_uring_cqe_seen(&r.ring, cqe);
      if (flags & IORING_CQE_F_BUFFER) {
        const uint16_t id = uint16_t(flags >> IORING_CQE_BUFFER_SHIFT);
        got.append(reinterpret_cast<char *>(buffers.buffer(id)), size_t(res));
        ASSERT_LT(heldCount, 4);
        held[heldCount++] = id;  // kept until the ring runs dry: every buffer is used up
      }
      if (flags & IORING_CQE_F_MORE)
        continue;
      if (res == 0) {
        done = true;  // the sender's FIN
      } else if (res == -ENOBUFS) {
        ++runDry;
        for (int i = 0; i < heldCount; ++i)
          buffers.giveBack(held[i]);
        heldCount = 0;
        buffers.publish();
        armRecv(&r.ring, receiver.fd(), buffers.group());
      } else {
        ASSERT_GT(res, 0) << "the receive failed: " << strerror(-res);
        armRecv(&r.ring, receiver.fd(), buffers.group());  // ended for another reason: re-arm
      }
    }
  }
  writer.join();
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "bytes lost or out of order";
  EXPECT_GT(runDry, 0) << "the ring never ran dry: the test did not test that path";
}

// The engine hands the kernel a few buffers at first (each one it is given is soon touched,
// so resident) and grows the set each time the ring runs dry. A receive armed on the
// smaller set takes at most that many buffers before ENOBUFS; after grow(), that many more.
TEST(BufferRing, BuffersInUseStartFewAndDoubleUpToAll) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring cannot run here: " << probeRing().why;
  Ring r;
  ASSERT_TRUE(r.ok);
  BufferRing buffers;
  ASSERT_EQ(buffers.setUp(&r.ring, 1, 8, 64, 2), 0);
  EXPECT_EQ(buffers.inUse(), 2u);
  RawListener listener(loopback4());
  RawSocket sender = rawConnect(loopback4(), listener.port());
  RawSocket receiver = listener.accept();
  ASSERT_TRUE(sender.valid() && receiver.valid());
  ASSERT_TRUE(sender.sendAll(pattern(64 * 16, 9)));  // 16 buffers' worth
  std::this_thread::sleep_for(50ms);
  // Buffers taken by one receive until the ring runs dry.
  auto takenUntilDry = [&] {
    armRecv(&r.ring, receiver.fd(), buffers.group());
    int taken = 0;
    for (;;) {
      io_uring_cqe *cqe;
      if (io_uring_submit_and_wait(&r.ring, 1) < 0 || io_uring_peek_cqe(&r.ring, &cqe) != 0)
        return -1;
      const int res = cqe->res;
      const unsigned flags = cqe->flags;
      io_uring_cqe_seen(&r.ring, cqe);
      taken += (flags & IORING_CQE_F_BUFFER) ? 1 : 0;
      if (!(flags & IORING_CQE_F_MORE))
        return res == -ENOBUFS ? taken : -1;
    }
  };
  EXPECT_EQ(takenUntilDry(), 2);
  ASSERT_TRUE(buffers.grow());
  EXPECT_EQ(buffers.inUse(), 4u);
  EXPECT_EQ(takenUntilDry(), 2);  // the two new ones: the first two are not given back
  ASSERT_TRUE(buffers.grow());
  EXPECT_EQ(buffers.inUse(), 8u);
  EXPECT_EQ(takenUntilDry(), 4);
  EXPECT_FALSE(buffers.grow());
  EXPECT_EQ(buffers.inUse(), 8u);
}
