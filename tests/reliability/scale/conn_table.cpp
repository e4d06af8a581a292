#include "conn_table.h"

#include <new>

namespace scale {

static_assert(sizeof(void *) == 8, "a handle packs index and generation into a pointer");

ConnTable::ConnTable(size_t capacity)
    : _capacity(capacity), _records(new ConnRecord[capacity]), _free(capacity) {
  for (size_t i = 0; i < capacity; ++i)
    _free[i] = uint32_t(capacity - 1 - i);  // lowest index first
}

void *ConnTable::open(AsyncClient *c) {
  std::lock_guard<std::mutex> lock(_m);
  if (_free.empty())
    return nullptr;
  const uint32_t i = _free.back();
  _free.pop_back();
  ConnRecord &r = _records[i];
  const uint32_t gen = r.gen.load(std::memory_order_relaxed);
  r.~ConnRecord();
  new (&r) ConnRecord();
  r.gen.store(gen, std::memory_order_relaxed);
  r.client = c;
  r.live = true;
  _live++;
  return reinterpret_cast<void *>(uintptr_t(i + 1) | uintptr_t(gen) << 32);  // never null
}

ConnRecord *ConnTable::find(void *handle) {
  const uintptr_t h = reinterpret_cast<uintptr_t>(handle);
  const size_t i = size_t(uint32_t(h)) - 1;
  if (i >= _capacity || _records[i].gen.load(std::memory_order_relaxed) != uint32_t(h >> 32))
    return nullptr;
  return &_records[i];
}

void ConnTable::retire(ConnRecord *r) {
  delete r->pending;
  r->pending = nullptr;
  r->client = nullptr;
  r->live = false;
  r->gen.fetch_add(1, std::memory_order_relaxed);
  _free.push_back(uint32_t(r - _records.get()));
  _live--;
}

}  // namespace scale
