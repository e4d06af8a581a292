// Stand-in for arduino-esp32 3.x cores/esp32/esp_arduino_version.h (see ../README.md).
#pragma once

#define ESP_ARDUINO_VERSION_MAJOR 3
#define ESP_ARDUINO_VERSION_MINOR 1
#define ESP_ARDUINO_VERSION_PATCH 0
#define ESP_ARDUINO_VERSION_VAL(major, minor, patch) ((major << 16) | (minor << 8) | (patch))
#define ESP_ARDUINO_VERSION                                                     \
  ESP_ARDUINO_VERSION_VAL(ESP_ARDUINO_VERSION_MAJOR, ESP_ARDUINO_VERSION_MINOR, \
                          ESP_ARDUINO_VERSION_PATCH)
