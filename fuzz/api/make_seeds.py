#!/usr/bin/env python3
"""Writes the seed corpora of the API-sequence fuzzers (fuzz/corpus/api/, both backends) and
of the packet-level fuzzer (fuzz/corpus/lwip_packet/: the same programs, and ones that use
the ops only its peer has): programs in the input language of fuzz/api/program.h, one
behaviour each, named after it. Run it again after a change of the language; the fuzzers'
own finds are kept beside these in the corpora."""
import os
import sys

OPS = ['OpenOut', 'OpenIn', 'Act', 'Defer', 'AckMode', 'PeerSend', 'PeerReading', 'PeerFin',
       'PeerRst', 'Advance', 'Settle', 'Server',
       'PeerWindow', 'PeerReorder', 'PeerRepeat', 'PeerRaw']  # the last four: packet peer only
ACTIONS = ['Write', 'Add', 'AddSend', 'Send', 'Ack', 'AckPacket', 'Hold', 'Close', 'Abort',
           'Delete', 'CloseDelete', 'RxTimeout', 'AckTimeout', 'NoDelay', 'DropOnAck', 'Space',
           'SendBuffer', 'Timers']
EVENTS = ['Connect', 'Data', 'Ack', 'Poll', 'Timeout', 'Error', 'Disconnect', 'Any']
PACKETS, NODELAY, LAMBDAS, NOONACK, SMALLBUF, REFUSED, CONNTIMEOUT, PEEROPTS = (
    1, 2, 4, 8, 16, 32, 64, 128)
FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32
COPY, MORE, DOUBLE = 1, 2, 4


def op(name, slot=0):
    return bytes([(OPS.index(name) << 2) | slot])


def u16(v):
    return bytes([v >> 8 & 0xFF, v & 0xFF])


def open_out(slot=0, flags=0):
    return op('OpenOut', slot) + bytes([flags])


def open_in(slot=0, flags=0):
    return op('OpenIn', slot) + bytes([flags])


def action(name, flags=COPY, arg=0):
    return bytes([ACTIONS.index(name), flags]) + u16(arg)


def act(slot, name, flags=COPY, arg=0):
    return op('Act', slot) + action(name, flags, arg)


def defer(slot, event, name, flags=COPY, arg=0):
    return op('Defer', slot) + bytes([EVENTS.index(event)]) + action(name, flags, arg)


def ack_mode(slot, mode):  # 0 now, 1 hold all, 2 hold alternate
    return op('AckMode', slot) + bytes([mode])


def peer_send(slot, n):
    return op('PeerSend', slot) + u16(n)


def peer_reading(slot, on):
    return op('PeerReading', slot) + bytes([1 if on else 0])


def advance(step):  # 1, 30, 60, 250, 600, 1100, 3100, 5100, 10100 ms
    return op('Advance') + bytes([step])


def settle():
    return op('Settle')


def peer_window(slot, w):
    return op('PeerWindow', slot) + u16(w)


def peer_reorder(slot, n):
    return op('PeerReorder', slot) + u16(n)


def raw(slot, flags, seq_offset=0, ack_offset=0, window=65535, len8=0):
    return (op('PeerRaw', slot) + bytes([flags]) + u16(seq_offset & 0xFFFF)
            + u16(ack_offset & 0xFFFF) + u16(window) + bytes([len8]))


SEEDS = {
    'echo_out': open_out() + settle() + act(0, 'Write', arg=1000) + peer_send(0, 2000) + settle(),
    'echo_in': open_in() + peer_send(0, 3000) + act(0, 'Write', arg=3000) + settle(),
    'packets_held': open_in(0, PACKETS) + ack_mode(0, 1) + peer_send(0, 5000) + settle()
                    + act(0, 'AckPacket') + act(0, 'Ack', arg=100) + settle(),
    'ack_later': open_in() + ack_mode(0, 1) + peer_send(0, 40000) + peer_send(0, 40000) + settle()
                 + act(0, 'Ack', arg=30000) + settle() + act(0, 'Ack', arg=65535),
    'write_from_onack': open_out(0, NODELAY) + defer(0, 'Ack', 'Write', arg=20000)
                        + defer(0, 'Ack', 'Write', COPY | MORE, arg=20000) + settle()
                        + act(0, 'Write', arg=30000) + settle(),
    'zero_copy_add': open_in() + act(0, 'Add', 0, 5000) + act(0, 'Add', MORE, 5000)
                     + act(0, 'Send') + settle(),
    'shrink_send_buffer': open_in() + peer_reading(0, False) + act(0, 'Write', DOUBLE, 30000)
                          + act(0, 'SendBuffer', arg=0) + act(0, 'Space') + settle()
                          + peer_reading(0, True) + act(0, 'SendBuffer', arg=7) + settle(),
    'slow_reader': open_in(0, SMALLBUF) + peer_reading(0, False) + act(0, 'Write', DOUBLE, 60000)
                   + act(0, 'Write', 0, 60000) + act(0, 'Space') + settle() + peer_reading(0, True)
                   + settle(),
    'close_during_connect': open_out() + act(0, 'Close') + open_out(1) + act(1, 'Abort')
                            + open_out(2) + act(2, 'Delete') + settle(),
    'refused': open_out(0, REFUSED) + settle() + act(0, 'Space') + open_out(0) + settle(),
    'delete_in_ondisconnect': open_in() + defer(0, 'Disconnect', 'Delete') + op('PeerFin')
                              + settle(),
    'close_delete_in_onerror': open_out() + defer(0, 'Error', 'CloseDelete') + settle()
                               + op('PeerRst') + settle(),
    'abort_in_ondata': open_in() + defer(0, 'Data', 'Abort') + peer_send(0, 100) + settle(),
    'delete_in_ondata': open_in(0, LAMBDAS) + defer(0, 'Data', 'Delete') + peer_send(0, 100)
                        + peer_send(0, 100) + settle(),
    'close_in_onack': open_out() + defer(0, 'Ack', 'Close') + act(0, 'Write', arg=500) + settle(),
    'write_into_reset': open_in() + defer(0, 'Data', 'Write', arg=2000) + peer_send(0, 100)
                        + op('PeerRst') + settle(),
    'reset_under_pressure': open_in() + peer_reading(0, False) + act(0, 'Write', DOUBLE, 30000)
                            + settle() + defer(0, 'Ack', 'Write', arg=1000) + op('PeerRst')
                            + settle(),
    'reset_with_unacked': open_in() + peer_reading(0, False) + act(0, 'Write', DOUBLE, 32767)
                          + settle() + op('PeerRst') + settle(),
    'fin_with_held_data': open_in() + ack_mode(0, 1) + peer_send(0, 3000) + op('PeerFin')
                          + settle() + act(0, 'Ack', arg=65535) + settle(),
    'rx_timeout': open_in() + act(0, 'RxTimeout', arg=1) + advance(5) + settle(),
    'ack_timeout': open_out() + act(0, 'AckTimeout', arg=1) + peer_reading(0, False)
                   + act(0, 'Write', arg=3000) + advance(3) + settle() + peer_reading(0, True),
    'connect_timeout': open_out(0, CONNTIMEOUT) + advance(2) + settle(),
    'poll_writes': open_in() + defer(0, 'Poll', 'Write', arg=10) + advance(4) + settle(),
    'keepalive_after_idle': open_out() + settle() + advance(8) * 24
                            + act(0, 'Timers', arg=4) + advance(3) + advance(3) + settle(),
    'fast_poll_keepalive': open_out() + act(0, 'Timers', arg=5) + defer(0, 'Poll', 'Space')
                           + advance(2) + settle() + advance(8) + settle(),
    'reuse_client': open_out() + settle() + act(0, 'Close') + settle() + open_out(0, PACKETS)
                    + peer_send(0, 10) + settle(),
    'drop_onack': open_out() + defer(0, 'Ack', 'DropOnAck') + act(0, 'Write', arg=100) + settle()
                  + act(0, 'Write', arg=100) + settle(),
    'server_cycle': open_in(0) + op('Server') + bytes([0]) + open_in(1) + op('Server')
                    + bytes([1]) + open_in(1) + op('Server') + bytes([3]) + open_in(2)
                    + open_in(3) + op('Server') + bytes([2]) + settle(),
    'four_slots': open_in(0) + open_out(1) + open_in(2, PACKETS) + open_out(3, LAMBDAS)
                  + peer_send(0, 1000) + peer_send(1, 1000) + peer_send(2, 1000)
                  + peer_send(3, 1000) + act(0, 'Write', arg=1000) + act(1, 'Write', arg=1000)
                  + act(2, 'Write', arg=1000) + act(3, 'Write', arg=1000) + settle(),
}


PACKET_SEEDS = {
    'zero_window': open_in() + act(0, 'Write', arg=20000) + peer_window(0, 0) + settle()
                   + advance(5) + advance(5) + peer_window(0, 65535) + settle(),
    'small_window': open_out(0, PEEROPTS) + peer_window(0, 100) + act(0, 'Write', arg=5000)
                    + settle() + advance(3) + settle(),
    'out_of_order': open_in() + peer_reorder(0, 2920) + peer_reorder(0, 1000) + settle(),
    'repeated_data': open_out() + peer_send(0, 3000) + op('PeerRepeat') + settle(),
    'seq_wrap': open_in(0, PEEROPTS) + peer_send(0, 20000) + act(0, 'Write', arg=20000)
                + settle(),
    'rst_in_window': open_in() + act(0, 'Write', arg=3000) + raw(0, RST | ACK) + settle(),
    'rst_out_of_window': open_in() + raw(0, RST, seq_offset=30000) + peer_send(0, 100) + settle(),
    'syn_in_established': open_out() + raw(0, SYN, seq_offset=-1) + settle(),
    'syn_fin': open_in() + raw(0, SYN | FIN | ACK) + settle(),
    'fin_out_of_order': open_in() + raw(0, FIN | ACK, seq_offset=500) + peer_send(0, 400)
                        + settle(),
    'data_beyond_window': open_in() + raw(0, ACK | PSH, seq_offset=65000, len8=200) + settle(),
    'ack_of_unsent': open_out() + act(0, 'Write', arg=100) + raw(0, ACK, ack_offset=5000)
                     + settle(),
    'stray_syn_to_server': raw(2, SYN, len8=0) + settle() + raw(2, ACK, ack_offset=1) + settle(),
    'urgent_data': open_in() + raw(0, URG | ACK | PSH, len8=4) + settle(),
    # lwIP's bug: an out-of-order segment past the right edge of a window the library keeps
    # small (it holds the data), then the gap filled (aborts with FUZZ_LWIP_STRICT=1).
    'regress_lwip_ooseq_assert': open_in() + ack_mode(0, 1) + peer_send(0, 60000) + settle()
                              + raw(0, ACK | PSH, seq_offset=5000, len8=255) + peer_send(0, 5000)
                              + settle(),
}


def write(out, seeds):
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        file = name if name.startswith('regress_') else 'seed_' + name
        with open(os.path.join(out, file), 'wb') as f:
            f.write(data)


def main():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
    if len(sys.argv) > 1:  # a directory of one's own: every seed there
        write(sys.argv[1], {**SEEDS, **PACKET_SEEDS})
        return
    write(os.path.join(corpus, 'api'), SEEDS)
    write(os.path.join(corpus, 'lwip_packet'), {**SEEDS, **PACKET_SEEDS})


if __name__ == '__main__':
    main()
