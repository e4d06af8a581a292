// An open file or directory of the host behind an fs::File: a file descriptor (reads and
// writes go straight to the kernel, so size() and other handles see them at once) or a
// directory stream. `path` is the ESP32 path the sketch used; `hostPath` the real one.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

namespace fs {

class HostFile {
public:
  // Opens hostPath with an fopen()-style mode ("r", "w", "a", "r+", "w+", "a+", with an
  // optional 'b'); directories open for reading only. `create` makes missing parent
  // directories for a write. nullptr on any failure.
  static std::shared_ptr<HostFile> open(const std::string &hostPath, const std::string &path,
                                        const char *mode, bool create);
  ~HostFile();
  HostFile(const HostFile &) = delete;
  HostFile &operator=(const HostFile &) = delete;

  size_t write(const uint8_t *buf, size_t size);
  size_t read(uint8_t *buf, size_t size);
  bool seek(int64_t offset, int whence);
  size_t position() const;
  size_t size() const;
  time_t lastWrite() const;
  void close();
  bool isOpen() const { return _fd >= 0 || _dir != nullptr; }
  bool isDirectory() const { return _dir != nullptr; }
  const std::string &path() const { return _path; }
  const char *name() const;  // the last component of path()

  // Directory entries, without "." and "..": the next one's name, false at the end.
  bool nextEntry(std::string &name, bool &isDir);
  void rewind();
  std::string childHostPath(const std::string &name) const;
  std::string childPath(const std::string &name) const;

private:
  HostFile(int fd, DIR *dir, std::string hostPath, std::string path);

  int _fd;
  DIR *_dir;
  std::string _hostPath;
  std::string _path;
};

// mkdir -p of the directories above hostPath (not hostPath itself).
bool makeParentDirectories(const std::string &hostPath);

}  // namespace fs
