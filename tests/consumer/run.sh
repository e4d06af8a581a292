#!/usr/bin/env bash
# The consumer tests' steps (tests/consumer/CMakeLists.txt registers them):
#   run.sh install BUILD_DIR PREFIX
#   run.sh find_package PREFIX WORK_DIR CXX GENERATOR CXXFLAGS
#   run.sh pkg_config PREFIX LIBDIR WORK_DIR CXX CXXFLAGS
#   run.sh sketch PREFIX LIBDIR WORK_DIR CXX GENERATOR CXXFLAGS
#   run.sh espasyncwebserver PREFIX WORK_DIR CXX GENERATOR ESPASYNCWEBSERVER_DIR
# Each builds a program against the installed library only (nothing from the
# source or build tree) and runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1
shift

case "$mode" in
  install)
    build=$1 prefix=$2
    rm -rf "$prefix"  # a stale file from an earlier install must not make a test pass
    cmake --install "$build" --prefix "$prefix" >/dev/null
    find "$prefix" -name AsyncTCP.h -o -name 'libasynctcp*' -o -name asynctcp.pc \
      -o -name AsyncTCPConfig.cmake | sort
    ;;
  find_package)
    prefix=$1 work=$2 cxx=$3 generator=$4 cxxflags=$5
    rm -rf "$work"
    cmake -S "$here/find_package" -B "$work" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_PREFIX_PATH="$prefix" >"$work.log" 2>&1 ||
      { cat "$work.log"; exit 1; }
    found=$(sed -n 's/^AsyncTCP_DIR:PATH=//p' "$work/CMakeCache.txt")
    case "$found" in
      "$prefix"/*) ;;
      *) echo "find_package(AsyncTCP) found '$found', not the package in $prefix" >&2; exit 1 ;;
    esac
    cmake --build "$work" >>"$work.log" 2>&1 || { cat "$work.log"; exit 1; }
    "$work/consumer_find_package"
    ;;
  pkg_config)
    prefix=$1 libdir=$2 work=$3 cxx=$4 cxxflags=$5
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    pc=$(pkg-config --variable=pcfiledir asynctcp) ||
      { echo "pkg-config finds no asynctcp in $prefix/$libdir/pkgconfig" >&2; exit 1; }
    [ "$pc" = "$prefix/$libdir/pkgconfig" ] ||
      { echo "pkg-config found asynctcp in '$pc', not in $prefix" >&2; exit 1; }
    rm -rf "$work" && mkdir -p "$work"
    # shellcheck disable=SC2046,SC2086  # the flags are word lists
    "$cxx" -std=c++17 $cxxflags "$here/pkg_config/main.cpp" -o "$work/consumer_pkg_config" \
      $(pkg-config --cflags --libs asynctcp)
    # pkg-config gives no run path: a shared library in a private prefix is found
    # the way its users find it, through the loader's path.
    LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/consumer_pkg_config"
    ;;
  sketch)
    # The installed Arduino layer: asynctcp_add_sketch() from find_package(AsyncTCP), and
    # the same sketch through pkg-config's asynctcp-arduino.
    prefix=$1 libdir=$2 work=$3 cxx=$4 generator=$5 cxxflags=$6
    rm -rf "$work"
    cmake -S "$here/sketch" -B "$work" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_PREFIX_PATH="$prefix" >"$work.log" 2>&1 &&
      cmake --build "$work" >>"$work.log" 2>&1 || { cat "$work.log"; exit 1; }
    expect_echo() {
      local out
      out=$("$@")
      echo "$out"
      grep -q "echoed through the installed package" <<<"$out"
    }
    expect_echo "$work/self_echo"
    esp32_out=$(expect_echo "$work/self_echo_esp32")
    echo "$esp32_out"
    grep -q "esp32 mode" <<<"$esp32_out" ||
      { echo "the ESP32-mode sketch did not run in the ESP32 mode" >&2; exit 1; }
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    # shellcheck disable=SC2046,SC2086  # the flags are word lists
    "$cxx" -std=c++17 $cxxflags -x c++ -include Arduino.h "$here/sketch/SelfEcho/SelfEcho.ino" \
      -x none -o "$work/self_echo_pkg_config" $(pkg-config --cflags --libs asynctcp-arduino)
    LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      expect_echo "$work/self_echo_pkg_config"
    ;;
  espasyncwebserver)
    # README's "Run ESPAsyncWebServer on Linux": examples/espasyncwebserver built against
    # the installed package, one of ESPAsyncWebServer's examples run (port 80: in a
    # network namespace of its own) and asked with curl.
    prefix=$1 work=$2 cxx=$3 generator=$4 web=$5
    if [ ! -f "$web/src/ESPAsyncWebServer.h" ]; then
      echo "SKIPPED: no ESPAsyncWebServer checkout at $web (folder absent)"
      exit 0
    fi
    rm -rf "$work"
    cmake -S "$here/../../examples/espasyncwebserver" -B "$work" -G "$generator" \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DESPASYNCWEBSERVER_DIR="$web" \
      -DSKETCH="$web/examples/arduino/Params/Params.ino" >"$work.log" 2>&1 &&
      cmake --build "$work" >>"$work.log" 2>&1 || { tail -n 40 "$work.log"; exit 1; }
    unshare -n sh -c '
      ip link set lo up
      "$1" >/dev/null 2>&1 &
      server=$!
      for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1/ && break; sleep 0.05; done
      out=$(curl -sS --max-time 10 -d who=Linux http://127.0.0.1/)
      kill "$server" && wait "$server"
      echo "POST / answered: $out"
      [ "$out" = "Hello Linux!" ]' sh "$work/web_sketch"
    ;;
  *)
    echo "run.sh: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
