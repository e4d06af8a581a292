// Arduino.h for running ESP32 network sketches on Linux: what such sketches use of the
// Arduino core (String, Serial, time, random, ESP) on top of AsyncTCP. Not emulated:
// GPIO, analog I/O, interrupts, FreeRTOS tasks, Preferences/NVS; see README.md.
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "Esp.h"
#include "HardwareSerial.h"
#include "IPAddress.h"
#include "Print.h"
#include "Stream.h"
#include "WString.h"
#include "pgmspace.h"

typedef uint8_t byte;
typedef bool boolean;
typedef uint16_t word;

#ifndef PI
#define PI 3.1415926535897932384626433832795
#endif
#define constrain(amt, low, high) ((amt) < (low) ? (low) : ((amt) > (high) ? (high) : (amt)))
#define sq(x) ((x) * (x))

// arduino-esp32 takes these from the standard library too.
using std::abs;
using std::max;
using std::min;

unsigned long millis();
unsigned long micros();
void delay(uint32_t ms);  // returns early once the sketch is asked to stop
void delayMicroseconds(uint32_t us);
void yield();

// long random(void) is libc's; these overloads are Arduino's.
long random(long howbig);
long random(long howsmall, long howbig);
void randomSeed(unsigned long seed);
long map(long x, long inMin, long inMax, long outMin, long outMax);

// The sketch's two functions; the runner calls setup() once, then loop() until stopped.
void setup();
void loop();
