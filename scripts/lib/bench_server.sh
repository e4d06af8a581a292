# Sourced by scripts/bench and scripts/bench-profile: what both do with a benchmark
# server process. They set $tmp (a scratch directory) before calling.

running() {  # PID: alive and not a zombie
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | head -n1; }  # FILE KEY: KEY=value in a result line

# Starts BINARY on a kernel-chosen port, pinned to CPU (-1: not pinned), under the
# optional WRAPPER command (valgrind, say); sets spid and sport. Its output goes to
# $tmp/server.out and .err. Returns 1 if it never announced a port.
launch_server() {  # BINARY CPU [WRAPPER...]
  local binary=$1 cpu=$2 engine=()
  shift 2
  # Our servers once per engine: asynctcp_* on io_uring (epoll, with a line on stderr, where
  # the kernel refuses io_uring), asynctcp-epoll_* is the same binary on epoll.
  case "$binary" in
    */asynctcp-epoll_*) binary=${binary/asynctcp-epoll_/asynctcp_}; engine=(env ASYNCTCP_ENGINE=epoll) ;;
    */asynctcp_*) engine=(env ASYNCTCP_ENGINE=io_uring) ;;
  esac
  : >"$tmp/server.out"
  # server_extra: the caller's further server arguments (the TLS rows' --tls CERT KEY).
  "${engine[@]}" "$@" "$binary" --port 0 --cpu "$cpu" ${server_extra[@]+"${server_extra[@]}"} \
    >"$tmp/server.out" 2>"$tmp/server.err" &
  spid=$!
  sport=""
  for _ in $(seq 500); do
    sport=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/server.out")
    [ -n "$sport" ] && return 0
    running "$spid" || break
    sleep 0.02
  done
  return 1
}

# The uring peer runs only where the kernel lets this process use io_uring: it may be absent
# (ENOSYS: too old, or not built in), switched off (kernel.io_uring_disabled: EPERM) or
# filtered (seccomp, an LSM). Asks BIN_DIR/uring_echo --probe (a loopback round trip with the
# operations the servers use); on a no, drops uring from the caller's peers array, says so
# loudly, and keeps the reason in uring_skipped for the report.
uring_skipped=""
drop_uring_if_refused() {  # BIN_DIR
  [[ " ${peers[*]} " == *" uring "* ]] || return 0
  local said rc=0 kept=() p
  said=$(timeout -k 2 20 "$1/uring_echo" --probe 2>&1) || rc=$?
  if [ $rc = 0 ]; then
    echo "uring: $said"
    return 0
  fi
  uring_skipped="${said:-uring_echo --probe: exit status $rc}"
  echo "!!! SKIPPED: the uring peer (raw io_uring), this kernel refuses it: $uring_skipped" >&2
  for p in "${peers[@]}"; do [ "$p" = uring ] || kept+=("$p"); done
  peers=("${kept[@]}")
}
