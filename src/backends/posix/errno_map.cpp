// errno → lwIP err_t, so user code compares errors the same way on both stacks.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>

#include "backends/posix/internal.h"

namespace asynctcp::backend {

err_t errnoToErr(int e) {
  switch (e) {
    case 0:
      return ERR_OK;
    case ECONNREFUSED:
    case ECONNRESET:
      return ERR_RST;  // lwIP reports a refused connect as a reset too
    case EPIPE:
    case ESHUTDOWN:
      return ERR_CLSD;
    case ECONNABORTED:
      return ERR_ABRT;
    case ETIMEDOUT:
      return ERR_TIMEOUT;
    case EADDRINUSE:
      return ERR_USE;
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case EINVAL:
      return ERR_VAL;
    case ENOMEM:
    case ENOBUFS:
    case EMFILE:
    case ENFILE:
      return ERR_MEM;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
      return ERR_RTE;
    case EALREADY:
      return ERR_ALREADY;
    case EISCONN:
      return ERR_ISCONN;
    case ENOTCONN:
      return ERR_CONN;
    case EINPROGRESS:
      return ERR_INPROGRESS;
    case EAGAIN:
      return ERR_WOULDBLOCK;
    default:
      return ERR_IF;
  }
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
