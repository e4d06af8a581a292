// LittleFS on Linux: a host directory (see HostDirectoryFS.h).
#pragma once

#include "HostDirectoryFS.h"

namespace fs {

class LittleFSFS : public HostDirectoryFS {
public:
  constexpr LittleFSFS() : HostDirectoryFS("/littlefs") {}
  // maxOpenFiles has no meaning here: the process's file limit applies.
  bool begin(bool formatOnFail = false, const char *basePath = "/littlefs",
             uint8_t maxOpenFiles = 10, const char *partitionLabel = "spiffs") {
    (void)maxOpenFiles;
    return HostDirectoryFS::begin(formatOnFail, basePath, partitionLabel);
  }
};

}  // namespace fs

extern fs::LittleFSFS LittleFS;
