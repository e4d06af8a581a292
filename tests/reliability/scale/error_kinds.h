// onError's err_t values (lwIP's), counted by kind in both the server and the in-process
// clients.
#pragma once

namespace scale {

constexpr int kErrorKinds = 18;  // slot -err for ERR_OK 0 .. ERR_ARG -16; the last: any other

inline int errorSlot(int err) {
  return err <= 0 && err > -(kErrorKinds - 1) ? -err : kErrorKinds - 1;
}

inline const char *errorName(int slot) {
  static const char *const names[kErrorKinds] = {
      "ERR_OK",  "ERR_MEM",        "ERR_BUF", "ERR_TIMEOUT", "ERR_RTE",    "ERR_INPROGRESS",
      "ERR_VAL", "ERR_WOULDBLOCK", "ERR_USE", "ERR_ALREADY", "ERR_ISCONN", "ERR_CONN",
      "ERR_IF",  "ERR_ABRT",       "ERR_RST", "ERR_CLSD",    "ERR_ARG",    "other"};
  return names[slot];
}

}  // namespace scale
