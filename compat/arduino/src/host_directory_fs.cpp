// LittleFS and SPIFFS: which host directory stands for a partition, and formatting it.
#include "HostDirectoryFS.h"

#include <ftw.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "LittleFS.h"
#include "SPIFFS.h"
#include "host_file.h"

// Constant-initialised (constexpr constructors): usable from any global constructor.
fs::LittleFSFS LittleFS;
fs::SPIFFSFS SPIFFS;

namespace fs {

namespace {

constexpr const char *kDefaultLabel = "spiffs";

std::string partitionDirectory(const char *label) {
  const char *root = std::getenv("ASYNCTCP_FS_ROOT");
  std::string dir = root != nullptr && root[0] != 0 ? root : "data";
  if (label != nullptr && std::strcmp(label, kDefaultLabel) != 0)
    dir += std::string("-") + label;
  return dir;
}

int removeEntry(const char *path, const struct stat *, int, FTW *ftw) {
  if (ftw->level == 0)
    return 0;  // the directory itself stays
  return ::remove(path) == 0 ? 0 : -1;
}

bool statHost(const char *root, struct statvfs &out) {
  return root[0] != 0 && ::statvfs(root, &out) == 0;
}

}  // namespace

bool HostDirectoryFS::begin(bool formatOnFail, const char *basePath, const char *partitionLabel) {
  _label = partitionLabel;
  const std::string dir = partitionDirectory(partitionLabel);
  const char *mountpoint = basePath != nullptr ? basePath : _defaultBasePath;
  if (mount(dir.c_str(), mountpoint))
    return true;
  return formatOnFail && format() && mount(dir.c_str(), mountpoint);
}

bool HostDirectoryFS::format() {
  std::string dir = partitionDirectory(_label);
  if (!makeParentDirectories(dir + "/."))
    return false;
  char absolute[PATH_MAX];
  if (::realpath(dir.c_str(), absolute) == nullptr || std::strcmp(absolute, "/") == 0)
    return false;
  return ::nftw(absolute, removeEntry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

size_t HostDirectoryFS::totalBytes() {
  struct statvfs st {};
  return mounted() && statHost(root(), st) ? st.f_blocks * st.f_frsize : 0;
}

size_t HostDirectoryFS::usedBytes() {
  struct statvfs st {};
  return mounted() && statHost(root(), st) ? (st.f_blocks - st.f_bfree) * st.f_frsize : 0;
}

bool HostDirectoryFS::info(FSInfo &info) {
  struct statvfs st {};
  if (!mounted() || !statHost(root(), st))
    return false;
  info.totalBytes = st.f_blocks * st.f_frsize;
  info.usedBytes = (st.f_blocks - st.f_bfree) * st.f_frsize;
  info.blockSize = st.f_bsize;
  info.pageSize = st.f_frsize;
  info.maxOpenFiles = static_cast<size_t>(sysconf(_SC_OPEN_MAX));
  info.maxPathLength = PATH_MAX;
  return true;
}

}  // namespace fs
