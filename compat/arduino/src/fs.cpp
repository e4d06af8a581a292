// fs::FS: ESP32 paths mapped into the mounted host directory.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "FS.h"
#include "host_file.h"

namespace fs {

namespace {

// Refused: relative paths (the ESP32 VFS wants '/') and any ".." component, which would
// leave the directory the file system stands for.
bool acceptablePath(const char *path) {
  if (path == nullptr || path[0] != '/')
    return false;
  for (const char *part = path + 1;;) {
    const char *end = std::strchr(part, '/');
    const size_t len = end == nullptr ? std::strlen(part) : static_cast<size_t>(end - part);
    if (len == 2 && part[0] == '.' && part[1] == '.')
      return false;
    if (end == nullptr)
      return true;
    part = end + 1;
  }
}

bool isDirectory(const char *hostPath) {
  struct stat st {};
  return ::stat(hostPath, &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

bool FS::mount(const char *root, const char *mountpoint) {
  if (root == nullptr || !isDirectory(root))
    return false;
  char absolute[PATH_MAX];
  if (::realpath(root, absolute) == nullptr)
    return false;
  const size_t len = std::strlen(absolute);
  std::memcpy(_mount->root, absolute, len + 1);
  if (len == 1)
    _mount->root[0] = 0;  // "/": paths are appended as they are
  std::snprintf(_mount->mountpoint, sizeof _mount->mountpoint, "%s",
                mountpoint != nullptr ? mountpoint : "");
  _mount->mounted.store(true, std::memory_order_release);
  return true;
}

const char *FS::mountpoint() const {
  return mounted() ? _mount->mountpoint : nullptr;
}

bool FS::hostPath(const char *path, char (&out)[PATH_MAX]) const {
  if (!mounted() || !acceptablePath(path))
    return false;
  const int n = std::snprintf(out, sizeof out, "%s%s", root(), path);
  if (n < 0 || static_cast<size_t>(n) >= sizeof out)
    return false;
  // "/dir/" names the directory "/dir".
  for (size_t len = static_cast<size_t>(n); len > 1 && out[len - 1] == '/'; --len)
    out[len - 1] = 0;
  return true;
}

File FS::open(const char *path, const char *mode, bool create) {
  char host[PATH_MAX];
  if (!hostPath(path, host))
    return File();
  return File(HostFile::open(host, path, mode, create));
}

bool FS::exists(const char *path) {
  char host[PATH_MAX];
  return hostPath(path, host) && ::access(host, F_OK) == 0;
}

bool FS::remove(const char *path) {
  char host[PATH_MAX];
  return hostPath(path, host) && !isDirectory(host) && ::unlink(host) == 0;
}

bool FS::rename(const char *pathFrom, const char *pathTo) {
  char from[PATH_MAX], to[PATH_MAX];
  return hostPath(pathFrom, from) && hostPath(pathTo, to) && ::rename(from, to) == 0;
}

bool FS::mkdir(const char *path) {
  char host[PATH_MAX];
  if (!hostPath(path, host))
    return false;
  return isDirectory(host) || ::mkdir(host, 0777) == 0;  // an existing directory is success
}

bool FS::rmdir(const char *path) {
  char host[PATH_MAX];
  return hostPath(path, host) && ::rmdir(host) == 0;
}

}  // namespace fs
