#include "host_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fs {

namespace {

// open(2) flags for an fopen() mode; -1 for a mode fopen() would reject.
int openFlags(const char *mode) {
  if (mode == nullptr)
    return -1;
  std::string m(mode);
  m.erase(std::remove(m.begin(), m.end(), 'b'), m.end());
  if (m == "r")
    return O_RDONLY;
  if (m == "r+")
    return O_RDWR;
  if (m == "w")
    return O_WRONLY | O_CREAT | O_TRUNC;
  if (m == "w+")
    return O_RDWR | O_CREAT | O_TRUNC;
  if (m == "a")
    return O_WRONLY | O_CREAT | O_APPEND;
  if (m == "a+")
    return O_RDWR | O_CREAT | O_APPEND;
  return -1;
}

}  // namespace

bool makeParentDirectories(const std::string &hostPath) {
  for (size_t slash = hostPath.find('/', 1); slash != std::string::npos;
       slash = hostPath.find('/', slash + 1)) {
    const std::string dir = hostPath.substr(0, slash);
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
      return false;
  }
  return true;
}

HostFile::HostFile(int fd, DIR *dir, std::string hostPath, std::string path)
    : _fd(fd), _dir(dir), _hostPath(std::move(hostPath)), _path(std::move(path)) {}

HostFile::~HostFile() {
  close();
}

std::shared_ptr<HostFile> HostFile::open(const std::string &hostPath, const std::string &path,
                                         const char *mode, bool create) {
  const int flags = openFlags(mode);
  if (flags < 0)
    return nullptr;
  struct stat st {};
  if (::stat(hostPath.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (flags != O_RDONLY)
      return nullptr;  // a directory is not written as a file
    DIR *dir = ::opendir(hostPath.c_str());
    return dir == nullptr ? nullptr
                          : std::shared_ptr<HostFile>(new HostFile(-1, dir, hostPath, path));
  }
  if ((flags & O_CREAT) != 0 && create && !makeParentDirectories(hostPath))
    return nullptr;
  const int fd = ::open(hostPath.c_str(), flags | O_CLOEXEC, 0666);
  return fd < 0 ? nullptr : std::shared_ptr<HostFile>(new HostFile(fd, nullptr, hostPath, path));
}

namespace {
// read()/write() until `size` bytes moved, end of file, or an error; EINTR retried.
template <typename Buf, typename Io>
size_t transferAll(int fd, Buf *buf, size_t size, Io io) {
  size_t done = 0;
  while (fd >= 0 && buf != nullptr && done < size) {
    const ssize_t n = io(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += static_cast<size_t>(n);
  }
  return done;
}
}  // namespace

size_t HostFile::write(const uint8_t *buf, size_t size) {
  return transferAll(_fd, buf, size,
                     [](int fd, const uint8_t *p, size_t n) { return ::write(fd, p, n); });
}

size_t HostFile::read(uint8_t *buf, size_t size) {
  return transferAll(_fd, buf, size, [](int fd, uint8_t *p, size_t n) { return ::read(fd, p, n); });
}

bool HostFile::seek(int64_t offset, int whence) {
  return _fd >= 0 && ::lseek(_fd, static_cast<off_t>(offset), whence) >= 0;
}

size_t HostFile::position() const {
  const off_t pos = _fd >= 0 ? ::lseek(_fd, 0, SEEK_CUR) : 0;
  return pos < 0 ? 0 : static_cast<size_t>(pos);
}

size_t HostFile::size() const {
  struct stat st {};
  if (_fd < 0 || ::fstat(_fd, &st) != 0)
    return 0;
  return static_cast<size_t>(st.st_size);
}

time_t HostFile::lastWrite() const {
  struct stat st {};
  const int rc = _fd >= 0 ? ::fstat(_fd, &st) : ::stat(_hostPath.c_str(), &st);
  return rc == 0 ? st.st_mtime : 0;
}

void HostFile::close() {
  if (_fd >= 0)
    ::close(_fd);
  if (_dir != nullptr)
    ::closedir(_dir);
  _fd = -1;
  _dir = nullptr;
}

const char *HostFile::name() const {
  const size_t slash = _path.rfind('/');
  return _path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
}

bool HostFile::nextEntry(std::string &name, bool &isDir) {
  while (_dir != nullptr) {
    const dirent *e = ::readdir(_dir);
    if (e == nullptr)
      return false;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
      continue;
    name = e->d_name;
    struct stat st {};
    isDir = ::stat(childHostPath(name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    return true;
  }
  return false;
}

void HostFile::rewind() {
  if (_dir != nullptr)
    ::rewinddir(_dir);
}

std::string HostFile::childHostPath(const std::string &name) const {
  return _hostPath + "/" + name;
}

std::string HostFile::childPath(const std::string &name) const {
  return (!_path.empty() && _path.back() == '/' ? _path : _path + "/") + name;
}

}  // namespace fs
