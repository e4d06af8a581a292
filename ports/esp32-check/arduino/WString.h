// Stand-in for arduino-esp32 3.x cores/esp32/WString.h: the part of Arduino's String
// that IPAddress's signatures and sketch-style code use (declarations only, see
// ../README.md). Note what std::string has and String lacks, e.g. empty(): String
// spells it isEmpty(), and length() works with both.
#pragma once

#include <stddef.h>
#include <stdint.h>

class String {
public:
  String(const char *cstr = "");
  String(const char *cstr, unsigned int length);
  String(const String &str);
  String(String &&rval);
  explicit String(char c);
  explicit String(unsigned char value, unsigned char base = 10);
  explicit String(int value, unsigned char base = 10);
  explicit String(unsigned int value, unsigned char base = 10);
  explicit String(long value, unsigned char base = 10);
  explicit String(unsigned long value, unsigned char base = 10);
  ~String();

  String &operator=(const String &rhs);
  String &operator=(const char *cstr);
  String &operator=(String &&rval);

  unsigned int length() const;
  bool isEmpty() const { return length() == 0; }
  const char *c_str() const;
  bool reserve(unsigned int size);

  bool concat(const String &str);
  bool concat(const char *cstr);
  bool concat(char c);
  String &operator+=(const String &rhs);
  String &operator+=(const char *cstr);
  String &operator+=(char c);

  bool equals(const String &s) const;
  bool equals(const char *cstr) const;
  bool operator==(const String &rhs) const { return equals(rhs); }
  bool operator==(const char *cstr) const { return equals(cstr); }
  bool operator!=(const String &rhs) const { return !equals(rhs); }
  bool operator!=(const char *cstr) const { return !equals(cstr); }

  char charAt(unsigned int index) const;
  char operator[](unsigned int index) const;
  int indexOf(char ch) const;
  int indexOf(const String &str) const;
  bool startsWith(const String &prefix) const;
  bool endsWith(const String &suffix) const;
  String substring(unsigned int beginIndex) const;
  String substring(unsigned int beginIndex, unsigned int endIndex) const;
  long toInt() const;
};
