// The posix fuzzer's own network namespace. Millions of loopback connections would
// leave the host's TIME_WAIT table and ephemeral ports full; in a namespace of its own
// the fuzzer sets net.ipv4.tcp_max_tw_buckets to 0 (no TIME_WAIT kept at all) and
// touches nothing outside. Needs root (or CAP_SYS_ADMIN); without it the fuzzer runs in
// the host's namespace, where Linux's loopback TIME_WAIT reuse (tcp_tw_reuse=2) has to do.
#pragma once

namespace fuzz {

// Call before any thread is started: unshare(CLONE_NEWNET) moves only the caller, and
// threads started later inherit it. Returns whether the namespace is the fuzzer's own.
// There its loopback has an Ethernet-sized MTU (1500), so that a peer with a small
// receive buffer still opens its window as it reads (Linux announces no window smaller
// than an MSS, and loopback's usual MSS is 64 KiB).
bool enterPrivateNetns();
bool inPrivateNetns();

}  // namespace fuzz
