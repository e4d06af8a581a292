// The benchmark server's routes (bench_server.cpp), started from bench_main.cpp.
#pragma once

#include <cstdint>

// Starts an ESPAsyncWebServer on port (every address) with GET /, /1m and /ip.
void startBenchServer(uint16_t port);
