// The arduino-esp32 core version the ESP32 mode follows: 3.x, whose IPAddress (IPv4 and
// IPv6 in one class) is the one this layer provides. Libraries choose their 2.x or 3.x
// code paths with these macros.
#pragma once

#define ESP_ARDUINO_VERSION_VAL(major, minor, patch) ((major << 16) | (minor << 8) | (patch))
#define ESP_ARDUINO_VERSION_MAJOR 3
#define ESP_ARDUINO_VERSION_MINOR 0
#define ESP_ARDUINO_VERSION_PATCH 0
#define ESP_ARDUINO_VERSION                                                     \
  ESP_ARDUINO_VERSION_VAL(ESP_ARDUINO_VERSION_MAJOR, ESP_ARDUINO_VERSION_MINOR, \
                          ESP_ARDUINO_VERSION_PATCH)
#define ESP_ARDUINO_VERSION_STR "3.0.0"
