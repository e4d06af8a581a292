#!/usr/bin/env bash
# ESPAsyncWebServer's Linux example (examples/arduino_emulator: Arduino-Emulator as the core,
# -DHOST) built unchanged on AsyncTCP instead of PosixAsyncTCP, then checked with curl:
#
#   tests/compat/arduino_emulator/run.sh [--build DIR] [--third-party DIR] [--source DIR]
#                                        [--with-posixasynctcp]
#
#   --build DIR            build directory (default build/arduino-emulator)
#   --third-party DIR      folder with Arduino-Emulator/, ESPAsyncWebServer/, PosixAsyncTCP/
#                          (default: ../shared/third_party next to the repository)
#   --source DIR           the AsyncTCP tree to build (default: this repository)
#   --with-posixasynctcp   also build the programs on PosixAsyncTCP (scripts/bench does)
#
# The example binds the fixed port 8080, so the programs run in a network namespace of
# their own (unshare -n, root), where only a loopback exists. Exits non-zero on any
# failure; prints "SKIPPED: ..." and exits 0 only when the third-party folder is absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=$repo/build/arduino-emulator
third_party=$(cd "$repo/.." && pwd)/shared/third_party
source=$repo
with_posix=OFF
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=${2:?}; shift ;;
    --third-party) third_party=${2:?}; shift ;;
    --source) source=${2:?}; shift ;;
    --with-posixasynctcp) with_posix=ON ;;
    -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

for dir in Arduino-Emulator ESPAsyncWebServer PosixAsyncTCP; do
  if [ ! -d "$third_party/$dir" ]; then
    echo "########################################################################"
    echo "SKIPPED: Arduino-Emulator compatibility test ($third_party/$dir: folder absent)"
    echo "########################################################################"
    exit 0
  fi
done

# ---- configure and build (Release, as users run it; -j2: the machine is shared) ----
if [ "${ASYNCTCP_EMULATOR_IN_NETNS:-}" != 1 ]; then
  mkdir -p "$build"
  log=$build/build.log
  {
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DASYNCTCP_THIRD_PARTY_DIR="$third_party" -DASYNCTCP_SOURCE_DIR="$source" \
      -DWITH_POSIXASYNCTCP="$with_posix" &&
      cmake --build "$build" -j 2
  } >"$log" 2>&1 || { tail -n 60 "$log"; echo "FAILED: build (log: $log)" >&2; exit 1; }
  echo "built: $build/hello_asynctcp (examples/arduino_emulator/main.cpp), $build/bench_asynctcp"
fi

# ---- the checks, inside a private network namespace ----
if [ "${ASYNCTCP_EMULATOR_IN_NETNS:-}" != 1 ]; then
  command -v unshare >/dev/null && command -v curl >/dev/null ||
    { echo "FAILED: needs unshare (util-linux) and curl" >&2; exit 1; }
  ASYNCTCP_EMULATOR_IN_NETNS=1 exec unshare -n "$0" --build "$build" \
    --third-party "$third_party" --source "$source"
fi
ip link set lo up

failures=0
pass() { echo "  ok   $1"; }
fail() { echo "  FAIL $1: $2" >&2; failures=$((failures + 1)); }
pid=""
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; return 0; }
trap cleanup EXIT

start() {  # BINARY [ARGS...]: starts it, waits until port 8080 answers
  "$@" >"$build/server.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:8080/" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAILED: $1 did not answer on port 8080:" >&2
  cat "$build/server.out" >&2
  exit 1
}
stop() {
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then fail "$1" "still running 5 s after SIGTERM"; kill -KILL "$pid"; fi
  wait "$pid" 2>/dev/null || true
  pid=""
}
expect() {  # NAME EXPECTED CURL-ARGS...: what curl prints must equal EXPECTED
  local name=$1 want=$2 got
  shift 2
  got=$(curl -s --max-time 10 "$@" 2>&1) || true
  if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got '$got', want '$want'"; fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "examples/arduino_emulator/main.cpp on AsyncTCP:"
start "$build/hello_asynctcp"
expect "GET / answers 200 and the example's text" \
  $'ESPAsyncWebServer host app is running on port 8080\n200' -w '%{http_code}' http://127.0.0.1:8080/
expect "GET /missing answers the example's 404" $'Not found\n404' -w '%{http_code}' \
  http://127.0.0.1:8080/missing
expect "GET / over IPv6" "ESPAsyncWebServer host app is running on port 8080" "http://[::1]:8080/"
expect "two requests in a row" "200 200 " -w '%{http_code} ' -o /dev/null -o /dev/null \
  http://127.0.0.1:8080/ http://127.0.0.1:8080/
stop "main.cpp"

echo "the benchmark program on AsyncTCP:"
start "$build/bench_asynctcp" --port 8080
expect "remoteIP() of a v4 client" "127.0.0.1" http://127.0.0.1:8080/ip
# ArduinoCore-API prints v6 addresses uncompressed: compare the address, not the text.
v6=$(curl -s --max-time 10 "http://[::1]:8080/ip" || true)
if python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) != ipaddress.ip_address("::1"))' "$v6" 2>/dev/null; then
  pass "remoteIP() of a v6 client"
else
  fail "remoteIP() of a v6 client" "got '$v6', want ::1"
fi
want_sum=$(python3 -c 'import hashlib,sys; sys.stdout.write(hashlib.sha256(bytes(97 + i % 26 for i in range(1 << 20))).hexdigest())')
got_sum=$(curl -s --max-time 20 http://127.0.0.1:8080/1m | sha256sum | cut -d' ' -f1)
[ "$got_sum" = "$want_sum" ] && pass "GET /1m: 1 MiB, every byte" || fail "GET /1m" "sha256 $got_sum"
# One connected client that sends nothing: the server must sleep, not poll (PosixAsyncTCP's
# select() loop spins here). Allow 5% of a CPU over one second.
exec 3<>/dev/tcp/127.0.0.1/8080
sleep 0.2
t0=$(cpu_ticks "$pid")
sleep 1
t1=$(cpu_ticks "$pid")
exec 3<&-
hz=$(getconf CLK_TCK)
if [ $(((t1 - t0) * 100)) -le $((hz * 5)) ]; then
  pass "idle client: $((t1 - t0)) CPU ticks in 1 s"
else
  fail "idle client" "the server used $((t1 - t0)) of $hz CPU ticks in 1 s"
fi
stop "bench program"

if [ "$failures" -gt 0 ]; then
  echo "FAILED: $failures check(s)" >&2
  exit 1
fi
echo "all checks passed"
