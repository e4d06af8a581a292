// Known lwIP bugs, stepped around so that fuzzing the library goes on past them. Each was
// reproduced with lwIP alone (raw pcbs on a loopback netif, no library) in Debian's lwIP
// 2.1.3, and lwIP's master has the same code. Any program on the lwIP build meets them
// (on ESP32 an lwIP assertion reboots). The lwIP fuzzers interpose the lwIP function
// concerned (liblwip calls it through its PLT), undo the bug's effect, and count how
// often; FUZZ_LWIP_STRICT=1 in the environment turns that off, so the reproducers in
// the corpora fail as lwIP does:
//
// - tcp_slowtmr() fails LWIP_ASSERT("tcp_slowtimr: persist ticking with empty send
//   buffer") and aborts when the ACK of a zero-window probe emptied the send queue (the
//   receiver took the probe byte, the last one queued, without opening its announced
//   window): the persist timer is never stopped. corpus/api/regress_lwip_persist_assert.
// - tcp_split_unsent_seg() (the persist timer fitting a segment to a small window) moves
//   FIN to the remainder but ORs the head's flags back (TCPH_SET_FLAG, not
//   TCPH_FLAGS_SET): both halves carry FIN, the receiver closes after the head, and the
//   remainder's bytes are lost. corpus/api/regress_lwip_split_fin.
//
// Two more, in tcp_receive(), are out of reach of an interposition; the packet peer keeps
// clear of them (api/peer_packet.cpp, clampToWindow and usableWindow). The second was
// found by the packet fuzzer and traced in tcp_in.c, not yet reproduced without the library.
#pragma once

#include <cstdint>

namespace fuzz::lwip {

bool strict();             // FUZZ_LWIP_STRICT=1: no step-around
void reportWorkarounds();  // at exit: how often each stepped in

}  // namespace fuzz::lwip
