// A sketch that checks what ESP32 code assumes of its build, printing one line per check:
// plain char is unsigned (an MQTT client's `packet[0] >> 4`), and, in the ESP32 mode,
// ESP32 is defined, sdkconfig values are there and a FreeRTOS task feeds a queue that
// loop() drains. Built twice by tests/sketches: in the ESP32 mode and as a plain sketch.

// The MQTT fixed header: packet type in the high nibble of byte 0, as PubSubClient and
// AsyncMqttClient read it from a char buffer.
int packetType(const char *packet) {
  return packet[0] >> 4;
}

// MQTT's remaining length: 7 bits per byte, high bit set while more bytes follow.
long remainingLength(const char *packet) {
  long length = 0, multiplier = 1;
  int i = 1;
  char digit;
  do {
    digit = packet[i++];
    length += (digit & 127) * multiplier;
    multiplier *= 128;
  } while ((digit & 128) != 0 && i < 5);
  return length;
}

#if defined(ESP32)
QueueHandle_t readings;
TaskHandle_t producer;

void produce(void *) {
  for (int n = 1;; ++n) {
    xQueueSend(readings, &n, portMAX_DELAY);
    delay(5);
  }
}
#endif

void setup() {
  Serial.begin(115200);
  const char pingresp[] = {(char)0xD0, 0x00};
  const char publish[] = {(char)0x30, (char)0xC1, 0x02};
  Serial.printf("packet type %d\n", packetType(pingresp));
  Serial.printf("remaining length %ld\n", remainingLength(publish));
  Serial.printf("char is %s\n", (char)0xff > 0 ? "unsigned" : "signed");
#if defined(ESP32) && defined(ARDUINO_ARCH_ESP32) && !defined(ESP_PLATFORM)
  Serial.printf("esp32 mode, %d tcp slots, core %d\n", CONFIG_LWIP_MAX_ACTIVE_TCP,
                (int)xPortGetCoreID());
  int unused = 1;
  log_e("compiled out at CORE_DEBUG_LEVEL 0: %d", unused);
  readings = xQueueCreate(4, sizeof(int));
  xTaskCreatePinnedToCore(produce, "producer", 2048, nullptr, 1, &producer, 0);
#endif
}

void loop() {
#if defined(ESP32)
  int n = 0;
  if (xQueueReceive(readings, &n, pdMS_TO_TICKS(1000)) != pdPASS || n < 3)
    return;
  if (producer != nullptr) {
    vTaskDelete(producer);  // returns once the task has ended
    producer = nullptr;
    Serial.printf("received 3 readings, producer deleted\n");
  }
#endif
  Serial.println("done");
  delay(1000);
}
