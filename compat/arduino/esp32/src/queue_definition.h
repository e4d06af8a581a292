// A FreeRTOS queue: a ring of fixed-size items under one lock. Semaphores are queues of
// empty items (only the count matters), mutexes add a holder, as in FreeRTOS.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "freertos/queue.h"

struct QueueDefinition {
  QueueDefinition(UBaseType_t length, UBaseType_t itemSize, uint8_t type)
      : type(type), length(length), itemSize(itemSize), items(size_t(length) * itemSize) {}

  bool isMutex() const {
    return type == queueQUEUE_TYPE_MUTEX || type == queueQUEUE_TYPE_RECURSIVE_MUTEX;
  }
  // Wakes every waiter, so that one being deleted sees it (see vTaskDelete).
  void wakeEveryone() {
    std::lock_guard<std::mutex> hold(lock);
    readable.notify_all();
    writable.notify_all();
  }

  const uint8_t type;
  const UBaseType_t length;
  const UBaseType_t itemSize;

  std::mutex lock;                   // guards what follows
  std::condition_variable readable;  // an item (or a semaphore count) arrived
  std::condition_variable writable;  // room came up
  std::vector<uint8_t> items;        // length * itemSize bytes, a ring starting at head
  UBaseType_t head = 0;
  UBaseType_t count = 0;          // items waiting; for a mutex, 1 while it is free
  TaskHandle_t holder = nullptr;  // mutexes: who took it
  UBaseType_t depth = 0;          // recursive mutexes: how many times the holder took it
};
