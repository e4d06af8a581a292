// Stand-in for arduino-esp32 3.x cores/esp32/Arduino.h, which the IDE puts first in a
// sketch: only the names the sketch-style check (../public_api.cpp) reaches
// (declarations only, see ../README.md).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "IPAddress.h"
#include "Printable.h"
#include "WString.h"
#include "esp_arduino_version.h"

unsigned long millis();
unsigned long micros();
void delay(uint32_t ms);
void yield();
