// A multishot receive with a byte limit (kernel 6.17): the engine arms each connection's
// receive with one (128 KiB, or what is left of its window once its user holds bytes), so
// it must end once that much has arrived, at most one buffer past the limit.
#include <gtest/gtest.h>

#include <string>

#include "backends/uring/buffer_ring.h"
#include "backends/uring/kernel_abi.h"
#include "backends/uring/ring_support.h"
#include "test_support.h"

using asynctcp::backend::uring::BufferRing;
using asynctcp::backend::uring::limitRecvMultishot;
using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::setUpRing;
using namespace tst;

TEST(RecvLimit, TheProbeFindsItFromKernel617On) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring cannot run here";
  if (!kernelAtLeast(6, 17))
    GTEST_SKIP() << "kernel before 6.17: the engine cancels the receive at a full window "
                    "(probe says "
                 << probeRing().recvLimit << ")";
  EXPECT_TRUE(probeRing().recvLimit);
}

TEST(RecvLimit, AMultishotReceiveEndsOnceItReceivedItsLimit) {
  if (!probeRing().recvLimit)
    GTEST_SKIP() << "no multishot receive limit in this kernel (6.17+)";
  constexpr uint32_t kBuf = 4096, kLimit = 10000;
  io_uring ring;
  ASSERT_EQ(setUpRing(&ring, 64, 4, nullptr), 0);
  BufferRing buffers;
  ASSERT_EQ(buffers.setUp(&ring, 0, 8, kBuf), 0);
  RawListener listener(loopback4());
  RawSocket sender = rawConnect(loopback4(), listener.port());
  RawSocket receiver = listener.accept();
  ASSERT_TRUE(sender.valid() && receiver.valid());

  io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_recv_multishot(sqe, receiver.fd(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  limitRecvMultishot(sqe, kLimit);
  ASSERT_EQ(io_uring_submit(&ring), 1);

  const std::string data = pattern(3 * kLimit, 12);
  std::string got;
  bool ended = false;
  size_t sent = 0;
  for (size_t step : {size_t(3000), size_t(6000), size_t(5000), size_t(16000)}) {
    ASSERT_TRUE(sender.sendAll(data.data() + sent, step));
    sent += step;
    // What arrived of this step, or the completion that ends the receive.
    while (!ended && got.size() < sent) {
      io_uring_cqe *cqe = nullptr;
      ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
      ASSERT_GT(cqe->res, 0) << "receive failed: " << cqe->res;
      ASSERT_TRUE(cqe->flags & IORING_CQE_F_BUFFER);
      const auto id = uint16_t(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
      got.append(reinterpret_cast<char *>(buffers.buffer(id)), size_t(cqe->res));
      ended = !(cqe->flags & IORING_CQE_F_MORE);
      io_uring_cqe_seen(&ring, cqe);
      buffers.giveBack(id);
      buffers.publish();
    }
    if (ended)
      break;
  }
  EXPECT_TRUE(ended) << "the receive went on past its limit: " << got.size() << " bytes";
  EXPECT_GE(got.size(), kLimit);
  EXPECT_LT(got.size(), kLimit + kBuf) << "more than one buffer past the limit";
  EXPECT_TRUE(got == data.substr(0, got.size()));
  buffers.tearDown();
  io_uring_queue_exit(&ring);
}
