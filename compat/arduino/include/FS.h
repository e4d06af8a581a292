// arduino-esp32's file system API (fs::FS, fs::File) over a directory of the host.
// LittleFS and SPIFFS (LittleFS.h, SPIFFS.h) are the instances sketches use. Paths are
// the ESP32's: absolute ("/www/index.html"), resolved inside the directory; a path that
// does not start with '/' or that climbs out with ".." is refused, as the ESP32 VFS
// refuses a path outside its mount point.
#pragma once

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>

#include "Stream.h"
#include "WString.h"

#define FILE_READ "r"
#define FILE_WRITE "w"
#define FILE_APPEND "a"

namespace fs {

class HostFile;  // an open file or directory of the host (src/host_file.h)

enum SeekMode { SeekSet = 0, SeekCur = 1, SeekEnd = 2 };

// A handle that copies share (as on ESP32): the file closes when the last copy goes or
// on close(). Not for two threads at once.
class File : public Stream {
public:
  File() { _timeout = 0; }  // all the data is there: never wait for more
  explicit File(std::shared_ptr<HostFile> impl) : _impl(std::move(impl)) { _timeout = 0; }

  size_t write(uint8_t c) override;
  size_t write(const uint8_t *buf, size_t size) override;
  using Print::write;
  int availableForWrite() override;
  int available() override;  // bytes from the position to the end (capped at INT_MAX)
  int read() override;
  int peek() override;
  void flush() override;
  size_t read(uint8_t *buf, size_t size);
  size_t readBytes(char *buffer, size_t length) override {
    return read(reinterpret_cast<uint8_t *>(buffer), length);
  }
  using Stream::readBytes;

  bool seek(uint32_t pos, SeekMode mode);
  bool seek(uint32_t pos) { return seek(pos, SeekSet); }
  size_t position() const;
  size_t size() const;
  bool setBufferSize(size_t size);  // a hint on ESP32; writes are unbuffered here
  void close();
  operator bool() const;  // open (not explicit: ESP32 code compares it with true)
  time_t getLastWrite();
  const char *path() const;  // as opened, e.g. "/www/index.html"
  const char *name() const;  // the last part, e.g. "index.html"

  bool isDirectory();
  File openNextFile(const char *mode = FILE_READ);  // the next entry of a directory
  String getNextFileName();
  String getNextFileName(bool *isDir);
  void rewindDirectory();

private:
  std::shared_ptr<HostFile> _impl;
};

// Where a file system is mounted. Shared by every copy of its FS: ESPAsyncWebServer keeps
// copies (by value, as on ESP32, where an FS is a handle too), made before or after begin().
struct FSMount {
  char root[PATH_MAX] = {};  // absolute host directory, no trailing '/' ("" for "/")
  char mountpoint[64] = {};
  std::atomic<bool> mounted{false};  // published after root and mountpoint are written
};

// A file system in a host directory, mounted by begin() of the instance (LittleFS,
// SPIFFS). A handle: copies share the mount.
class FS {
public:
  File open(const char *path, const char *mode = FILE_READ, bool create = false);
  File open(const String &path, const char *mode = FILE_READ, bool create = false) {
    return open(path.c_str(), mode, create);
  }
  bool exists(const char *path);
  bool exists(const String &path) { return exists(path.c_str()); }
  bool remove(const char *path);  // a file
  bool remove(const String &path) { return remove(path.c_str()); }
  bool rename(const char *pathFrom, const char *pathTo);
  bool rename(const String &pathFrom, const String &pathTo) {
    return rename(pathFrom.c_str(), pathTo.c_str());
  }
  bool mkdir(const char *path);
  bool mkdir(const String &path) { return mkdir(path.c_str()); }
  bool rmdir(const char *path);  // an empty directory
  bool rmdir(const String &path) { return rmdir(path.c_str()); }
  // The ESP32 VFS base path given to begin() ("/littlefs"), nullptr when not mounted.
  const char *mountpoint() const;

protected:
  constexpr explicit FS(FSMount *mount) : _mount(mount) {}

  // Mounts the host directory `root` under `mountpoint`; false if `root` is not an
  // existing directory. Call from one thread (setup()) before using the files.
  bool mount(const char *root, const char *mountpoint);
  void unmount() { _mount->mounted.store(false, std::memory_order_release); }
  bool mounted() const { return _mount->mounted.load(std::memory_order_acquire); }
  // The host path for an ESP32 path; false when not mounted or the path is refused.
  bool hostPath(const char *path, char (&out)[PATH_MAX]) const;
  const char *root() const { return _mount->root; }

private:
  FSMount *_mount;
};

}  // namespace fs

using fs::File;
using fs::FS;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;
