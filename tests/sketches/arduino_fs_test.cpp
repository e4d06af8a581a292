// LittleFS and SPIFFS over a host directory: each test mounts a fresh temporary
// directory (ASYNCTCP_FS_ROOT) and removes it afterwards.
#include <FS.h>
#include <LittleFS.h>
#include <SPIFFS.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

namespace {

class ArduinoFS : public ::testing::Test {
protected:
  void SetUp() override {
    char dir[] = "/tmp/asynctcp_fs_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    setenv("ASYNCTCP_FS_ROOT", dir, 1);
  }
  void TearDown() override {
    LittleFS.end();
    SPIFFS.end();
    std::filesystem::remove_all(root_);
    std::filesystem::remove_all(root_ + "-other");
    unsetenv("ASYNCTCP_FS_ROOT");
  }
  std::string root_;
};

TEST_F(ArduinoFS, WrittenFileReadsBackWithSizeAndPosition) {
  ASSERT_TRUE(LittleFS.begin());
  File w = LittleFS.open("/hello.txt", FILE_WRITE);
  ASSERT_TRUE(w);
  EXPECT_EQ(w.print("Hello, "), 7u);
  EXPECT_EQ(w.printf("%s!", "world"), 6u);
  EXPECT_EQ(w.size(), 13u);  // visible before close
  w.close();
  EXPECT_FALSE(w);

  File r = LittleFS.open("/hello.txt");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.isDirectory());
  EXPECT_STREQ(r.name(), "hello.txt");
  EXPECT_STREQ(r.path(), "/hello.txt");
  EXPECT_EQ(r.available(), 13);
  EXPECT_EQ(r.peek(), 'H');
  EXPECT_EQ(r.read(), 'H');
  EXPECT_TRUE(r.seek(7));
  EXPECT_EQ(r.position(), 7u);
  EXPECT_EQ(r.readString(), "world!");  // no wait at the end: a File's timeout is 0
  EXPECT_TRUE(r.seek(1, SeekEnd) && r.position() == 14u);
  EXPECT_GT(r.getLastWrite(), 0);
}

TEST_F(ArduinoFS, AppendKeepsWhatWasThere) {
  ASSERT_TRUE(LittleFS.begin());
  LittleFS.open("/log", FILE_WRITE).print("a");
  LittleFS.open("/log", FILE_APPEND).print("b");
  EXPECT_EQ(LittleFS.open("/log").readString(), "ab");
}

TEST_F(ArduinoFS, DirectoriesListTheirEntries) {
  ASSERT_TRUE(LittleFS.begin());
  EXPECT_TRUE(LittleFS.mkdir("/www"));
  EXPECT_TRUE(LittleFS.mkdir("/www"));  // already there: still true
  LittleFS.open("/www/index.html", FILE_WRITE).print("<h1>");
  LittleFS.open("/www/css/site.css", FILE_WRITE, true).print("b");  // create: makes css/
  File dir = LittleFS.open("/www");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(dir.isDirectory());
  std::set<std::string> names;
  for (File f = dir.openNextFile(); f; f = dir.openNextFile())
    names.insert(std::string(f.path()) + (f.isDirectory() ? "/" : ""));
  EXPECT_EQ(names, (std::set<std::string>{"/www/index.html", "/www/css/"}));
  dir.rewindDirectory();
  bool isDir = false;
  EXPECT_FALSE(dir.getNextFileName(&isDir).isEmpty());
}

TEST_F(ArduinoFS, ExistsRemoveRenameRmdir) {
  ASSERT_TRUE(LittleFS.begin());
  LittleFS.open("/a", FILE_WRITE).print("x");
  EXPECT_TRUE(LittleFS.exists("/a"));
  EXPECT_TRUE(LittleFS.rename("/a", "/b"));
  EXPECT_FALSE(LittleFS.exists("/a"));
  EXPECT_TRUE(LittleFS.exists(String("/b")));
  EXPECT_TRUE(LittleFS.remove("/b"));
  EXPECT_FALSE(LittleFS.remove("/b"));
  EXPECT_TRUE(LittleFS.mkdir("/d"));
  EXPECT_FALSE(LittleFS.remove("/d"));  // remove() is for files
  EXPECT_TRUE(LittleFS.rmdir("/d"));
  EXPECT_FALSE(LittleFS.exists("/d"));
}

TEST_F(ArduinoFS, RefusesPathsOutsideTheDirectory) {
  ASSERT_TRUE(LittleFS.begin());
  EXPECT_FALSE(LittleFS.open("relative.txt", FILE_WRITE));
  EXPECT_FALSE(LittleFS.open("/../escape.txt", FILE_WRITE));
  EXPECT_FALSE(LittleFS.open("/a/../../escape.txt", FILE_WRITE));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(root_).parent_path() / "escape.txt"));
  EXPECT_FALSE(LittleFS.open("/missing.txt"));
  EXPECT_FALSE(LittleFS.open("/nodir/new.txt", FILE_WRITE));  // no parent, no create
  EXPECT_FALSE(LittleFS.open("/x", "rw"));                    // not an fopen() mode
}

TEST_F(ArduinoFS, MissingDirectoryIsAnUnformattedPartition) {
  std::filesystem::remove_all(root_);
  EXPECT_FALSE(LittleFS.begin());
  EXPECT_EQ(LittleFS.mountpoint(), nullptr);
  EXPECT_FALSE(LittleFS.open("/f", FILE_WRITE));  // not mounted
  EXPECT_TRUE(LittleFS.begin(true));              // formatOnFail creates it
  EXPECT_STREQ(LittleFS.mountpoint(), "/littlefs");
  EXPECT_TRUE(std::filesystem::is_directory(root_));
}

TEST_F(ArduinoFS, FormatEmptiesTheDirectory) {
  ASSERT_TRUE(LittleFS.begin());
  LittleFS.open("/deep/er/file", FILE_WRITE, true).print("x");
  EXPECT_TRUE(LittleFS.format());
  EXPECT_TRUE(std::filesystem::is_empty(root_));
  EXPECT_TRUE(LittleFS.begin());
}

TEST_F(ArduinoFS, CopiesShareTheMountAndSpiffsIsTheSamePartition) {
  fs::FS copy = LittleFS;  // ESPAsyncWebServer keeps copies made before begin()
  ASSERT_TRUE(LittleFS.begin());
  copy.open("/shared", FILE_WRITE).print("1");
  ASSERT_TRUE(SPIFFS.begin());  // both use the partition labelled "spiffs" by default
  EXPECT_EQ(SPIFFS.open("/shared").readString(), "1");
  EXPECT_GT(LittleFS.totalBytes(), 0u);
  EXPECT_LE(LittleFS.usedBytes(), LittleFS.totalBytes());
  FSInfo info{};
  EXPECT_TRUE(LittleFS.info(info));
  EXPECT_EQ(info.totalBytes, LittleFS.totalBytes());
}

TEST_F(ArduinoFS, OtherPartitionLabelIsAnotherDirectory) {
  EXPECT_FALSE(LittleFS.begin(false, "/other", 5, "other"));
  EXPECT_TRUE(LittleFS.begin(true, "/other", 5, "other"));
  EXPECT_TRUE(std::filesystem::is_directory(root_ + "-other"));
}

}  // namespace
