// What LittleFS and SPIFFS are on Linux: a file system whose "partition" is a host
// directory. The default partition (label "spiffs", the one both use on ESP32) is
// $ASYNCTCP_FS_ROOT, or ./data when that is unset (the folder Arduino tools upload to
// flash); a partition labelled L is that path with "-L" appended. A missing directory is
// an unformatted partition: begin() fails unless formatOnFail is set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "FS.h"

namespace fs {

// ESP8266's FSInfo (LittleFS.info()), which sketches use when not built for ESP32.
struct FSInfo {
  size_t totalBytes;
  size_t usedBytes;
  size_t blockSize;
  size_t pageSize;
  size_t maxOpenFiles;
  size_t maxPathLength;
};

class HostDirectoryFS : public FS {
public:
  void end() { unmount(); }
  // Empties the directory (creating it if missing): everything in it is deleted, as
  // formatting deletes a partition's files. Refused (false) for the host's "/".
  bool format();
  // Of the host file system that holds the directory (statvfs); 0 when not mounted.
  size_t totalBytes();
  size_t usedBytes();
  bool info(FSInfo &info);

protected:
  constexpr explicit HostDirectoryFS(const char *defaultBasePath)
      : FS(&_state), _defaultBasePath(defaultBasePath) {}

  bool begin(bool formatOnFail, const char *basePath, const char *partitionLabel);

private:
  FSMount _state;  // what this instance and its FS copies share
  const char *_defaultBasePath;
  const char *_label = nullptr;  // of the last begin(); format() before begin() uses "spiffs"
};

}  // namespace fs

using fs::FSInfo;
