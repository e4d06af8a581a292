// SPIFFS on Linux: a host directory (see HostDirectoryFS.h), with directories (which
// SPIFFS itself flattens into names containing '/').
#pragma once

#include "HostDirectoryFS.h"

namespace fs {

class SPIFFSFS : public HostDirectoryFS {
public:
  constexpr SPIFFSFS() : HostDirectoryFS("/spiffs") {}
  // maxOpenFiles has no meaning here: the process's file limit applies.
  bool begin(bool formatOnFail = false, const char *basePath = "/spiffs", uint8_t maxOpenFiles = 10,
             const char *partitionLabel = nullptr) {
    (void)maxOpenFiles;
    return HostDirectoryFS::begin(formatOnFail, basePath, partitionLabel);
  }
};

}  // namespace fs

extern fs::SPIFFSFS SPIFFS;
