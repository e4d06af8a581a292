// Arduino's String on Linux: the common API of arduino-esp32's WString, stored in a
// std::string. Like Arduino's, it never throws to the sketch and indexes are unsigned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "pgmspace.h"

#ifndef DEC
#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2
#endif

// Text kept in flash on the ESP32; ordinary memory here. The distinct type keeps the
// overloads arduino-esp32 has for it (String, Print, ESPAsyncWebServer's own) apart.
class __FlashStringHelper;
#define FPSTR(pstr_pointer) (reinterpret_cast<const __FlashStringHelper *>(pstr_pointer))
#define F(string_literal) (FPSTR(PSTR(string_literal)))

class String {
public:
  String(const char *s = "") : _s(s != nullptr ? s : "") {}
  String(const char *s, size_t n) : _s(s != nullptr ? s : "", s != nullptr ? n : 0) {}
  String(const __FlashStringHelper *s) : String(reinterpret_cast<const char *>(s)) {}
  String(const std::string &s) : _s(s) {}
  String(std::string &&s) : _s(std::move(s)) {}
  String(const String &) = default;
  String(String &&) = default;
  explicit String(char c) : _s(1, c) {}
  explicit String(unsigned char value, unsigned char base = 10);
  explicit String(int value, unsigned char base = 10);
  explicit String(unsigned int value, unsigned char base = 10);
  explicit String(long value, unsigned char base = 10);
  explicit String(unsigned long value, unsigned char base = 10);
  explicit String(long long value, unsigned char base = 10);
  explicit String(unsigned long long value, unsigned char base = 10);
  explicit String(float value, unsigned int decimalPlaces = 2);
  explicit String(double value, unsigned int decimalPlaces = 2);

  String &operator=(const String &) = default;
  String &operator=(String &&) = default;
  String &operator=(const char *s) {
    _s = s != nullptr ? s : "";
    return *this;
  }

  unsigned int length() const { return static_cast<unsigned int>(_s.size()); }
  bool isEmpty() const { return _s.empty(); }
  bool reserve(unsigned int size);
  void clear() { _s.clear(); }
  const char *c_str() const { return _s.c_str(); }
  char *begin() { return &_s[0]; }
  char *end() { return &_s[0] + _s.size(); }
  const char *begin() const { return _s.data(); }
  const char *end() const { return _s.data() + _s.size(); }

  bool concat(const String &s);
  bool concat(const char *s);
  bool concat(const char *s, unsigned int n);
  bool concat(const uint8_t *s, unsigned int n) {
    return concat(reinterpret_cast<const char *>(s), n);
  }
  bool concat(const __FlashStringHelper *s) { return concat(reinterpret_cast<const char *>(s)); }
  bool concat(char c);
  template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
  bool concat(T value) {
    return concat(String(value));
  }
  template <class T>
  String &operator+=(const T &value) {
    concat(value);
    return *this;
  }

  int compareTo(const String &s) const { return _s.compare(s._s); }
  bool equals(const String &s) const { return _s == s._s; }
  bool equals(const char *s) const { return _s == (s != nullptr ? s : ""); }
  bool equalsIgnoreCase(const String &s) const;
  bool operator==(const String &s) const { return equals(s); }
  bool operator==(const char *s) const { return equals(s); }
  bool operator!=(const String &s) const { return !equals(s); }
  bool operator!=(const char *s) const { return !equals(s); }
  bool operator<(const String &s) const { return compareTo(s) < 0; }
  bool operator>(const String &s) const { return compareTo(s) > 0; }
  bool operator<=(const String &s) const { return compareTo(s) <= 0; }
  bool operator>=(const String &s) const { return compareTo(s) >= 0; }
  bool startsWith(const String &prefix) const { return startsWith(prefix, 0); }
  bool startsWith(const String &prefix, unsigned int offset) const;
  bool endsWith(const String &suffix) const;

  char charAt(unsigned int index) const { return index < _s.size() ? _s[index] : 0; }
  void setCharAt(unsigned int index, char c);
  char operator[](unsigned int index) const { return charAt(index); }
  char &operator[](unsigned int index);
  void getBytes(unsigned char *buf, unsigned int bufsize, unsigned int index = 0) const;
  void toCharArray(char *buf, unsigned int bufsize, unsigned int index = 0) const {
    getBytes(reinterpret_cast<unsigned char *>(buf), bufsize, index);
  }

  int indexOf(char c, unsigned int from = 0) const;
  int indexOf(const String &s, unsigned int from = 0) const;
  int lastIndexOf(char c) const;
  int lastIndexOf(char c, unsigned int from) const;
  int lastIndexOf(const String &s) const;
  int lastIndexOf(const String &s, unsigned int from) const;
  String substring(unsigned int from) const { return substring(from, length()); }
  String substring(unsigned int from, unsigned int to) const;

  void replace(char find, char with);
  void replace(const String &find, const String &with);
  void remove(unsigned int index) { remove(index, length()); }
  void remove(unsigned int index, unsigned int count);
  void toLowerCase();
  void toUpperCase();
  void trim();

  long toInt() const;
  float toFloat() const;
  double toDouble() const;

private:
  std::string _s;
};

// Arduino builds sums with a StringSumHelper; plain values do the same job here.
inline String operator+(String lhs, const String &rhs) {
  lhs.concat(rhs);
  return lhs;
}
inline String operator+(String lhs, const char *rhs) {
  lhs.concat(rhs);
  return lhs;
}
inline String operator+(const char *lhs, const String &rhs) {
  String s(lhs);
  s.concat(rhs);
  return s;
}
inline String operator+(String lhs, char rhs) {
  lhs.concat(rhs);
  return lhs;
}
template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
String operator+(String lhs, T rhs) {
  lhs.concat(rhs);
  return lhs;
}
inline bool operator==(const char *lhs, const String &rhs) {
  return rhs == lhs;
}
inline bool operator!=(const char *lhs, const String &rhs) {
  return rhs != lhs;
}

// The empty String arduino-esp32 shares (ESPAsyncWebServer returns references to it).
// Built before any ordinary global (init_priority), so other globals' constructors may
// use it whatever the link order.
extern const String emptyString;
