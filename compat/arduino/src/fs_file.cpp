// fs::File: a shared handle on a HostFile; every call on a closed or empty File fails
// quietly (0, -1, false), as on ESP32.
#include <climits>

#include "FS.h"
#include "host_file.h"

namespace fs {

size_t File::write(uint8_t c) {
  return write(&c, 1);
}

size_t File::write(const uint8_t *buf, size_t size) {
  return _impl ? _impl->write(buf, size) : 0;
}

int File::availableForWrite() {
  return 0;  // unknown, as Print says: the host file system decides
}

int File::available() {
  if (!_impl || _impl->isDirectory())
    return 0;
  const size_t size = _impl->size(), pos = _impl->position();
  const size_t left = size > pos ? size - pos : 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

int File::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int File::peek() {
  const int c = read();
  if (c >= 0)
    _impl->seek(-1, SEEK_CUR);
  return c;
}

void File::flush() {}  // writes are not buffered here

size_t File::read(uint8_t *buf, size_t size) {
  return _impl ? _impl->read(buf, size) : 0;
}

bool File::seek(uint32_t pos, SeekMode mode) {
  static const int whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  return _impl && mode >= SeekSet && mode <= SeekEnd && _impl->seek(pos, whence[mode]);
}

size_t File::position() const {
  return _impl ? _impl->position() : 0;
}

size_t File::size() const {
  return _impl ? _impl->size() : 0;
}

bool File::setBufferSize(size_t size) {
  (void)size;
  return static_cast<bool>(_impl);
}

void File::close() {
  if (_impl)
    _impl->close();
  _impl.reset();
}

File::operator bool() const {
  return _impl && _impl->isOpen();
}

time_t File::getLastWrite() {
  return _impl ? _impl->lastWrite() : 0;
}

const char *File::path() const {
  return _impl ? _impl->path().c_str() : nullptr;
}

const char *File::name() const {
  return _impl ? _impl->name() : nullptr;
}

bool File::isDirectory() {
  return _impl && _impl->isDirectory();
}

File File::openNextFile(const char *mode) {
  std::string entry;
  bool isDir = false;
  if (!_impl || !_impl->nextEntry(entry, isDir))
    return File();
  return File(HostFile::open(_impl->childHostPath(entry), _impl->childPath(entry), mode, false));
}

String File::getNextFileName() {
  bool isDir;
  return getNextFileName(&isDir);
}

String File::getNextFileName(bool *isDir) {
  std::string entry;
  bool dir = false;
  if (!_impl || !_impl->nextEntry(entry, dir))
    return String();
  if (isDir != nullptr)
    *isDir = dir;
  return String(_impl->childPath(entry));
}

void File::rewindDirectory() {
  if (_impl)
    _impl->rewind();
}

}  // namespace fs
