// SIOCOUTQ and SIOCINQ as ring operations (kernel 6.7): the ack tracker's look, batched
// with everything else, must read what the ioctl reads.
#include <gtest/gtest.h>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <string>

#include "backends/uring/kernel_abi.h"
#include "backends/uring/ring_support.h"
#include "test_support.h"

using asynctcp::backend::uring::prepSocketCmd;
using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::setUpRing;
using namespace tst;

namespace {

int ringCommand(int fd, uint32_t cmd) {
  io_uring ring;
  if (setUpRing(&ring, 64, 2, nullptr) != 0)
    return -1000;
  io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  prepSocketCmd(sqe, fd, cmd);
  io_uring_cqe *cqe = nullptr;
  int res = -1001;
  if (io_uring_submit_and_wait(&ring, 1) >= 0 && io_uring_peek_cqe(&ring, &cqe) == 0) {
    res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
  io_uring_queue_exit(&ring);
  return res;
}

}  // namespace

TEST(SocketCommand, QueueSizesThroughTheRingMatchTheIoctls) {
  if (!probeRing().socketCommands)
    GTEST_SKIP() << "no socket commands through io_uring here (kernel 6.7+): the engine "
                    "looks with ioctl() instead";
  // A receiver that does not read, with small buffers: the sender's bytes stay unread on
  // one side and unacknowledged or unsent on the other, so neither count is zero.
  RawListener listener(loopback4(), 8, 4096, 4096);
  RawSocket sender = rawConnect(loopback4(), listener.port(), 4096, 4096);
  RawSocket receiver = listener.accept();
  ASSERT_TRUE(sender.valid() && receiver.valid());
  sender.setNonBlocking(true);
  const std::string chunk = pattern(4096, 3);
  while (sender.trySend(chunk.data(), chunk.size()) > 0) {
  }
  ASSERT_TRUE(receiver.waitReadable(2000ms));
  int outq = -1, inq = -1;
  ASSERT_EQ(ioctl(sender.fd(), SIOCOUTQ, &outq), 0);
  ASSERT_EQ(ioctl(receiver.fd(), SIOCINQ, &inq), 0);
  EXPECT_GT(outq, 0);
  EXPECT_GT(inq, 0);
  EXPECT_EQ(ringCommand(sender.fd(), SOCKET_URING_OP_SIOCOUTQ), outq);
  EXPECT_EQ(ringCommand(receiver.fd(), SOCKET_URING_OP_SIOCINQ), inq);
}
