// Arduino String semantics on std::string: out-of-range indexes clamp or yield 0
// instead of throwing, and numbers format the way arduino-esp32 formats them.
#include "WString.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace {

// Digits of `value` in `base` (2..36), most significant first.
std::string digits(unsigned long long value, unsigned char base) {
  if (base < 2 || base > 36)
    base = 10;
  std::string out;
  do {
    const unsigned d = value % base;
    out.push_back(static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
    value /= base;
  } while (value != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

// Arduino prints negative numbers with a sign only in base 10; other bases show the
// two's complement of the value's own width.
template <class S, class U>
std::string signedDigits(S value, unsigned char base) {
  if (base == 10 && value < 0)
    return "-" + digits(0ULL - static_cast<unsigned long long>(value), 10);
  return digits(static_cast<U>(value), base);
}

std::string fixed(double value, unsigned int places) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min(places, 20u)), value);
  return buf;
}

}  // namespace

String::String(unsigned char value, unsigned char base) : _s(digits(value, base)) {}
String::String(int value, unsigned char base) : _s(signedDigits<int, unsigned>(value, base)) {}
String::String(unsigned int value, unsigned char base) : _s(digits(value, base)) {}
String::String(long value, unsigned char base)
    : _s(signedDigits<long, unsigned long>(value, base)) {}
String::String(unsigned long value, unsigned char base) : _s(digits(value, base)) {}
String::String(long long value, unsigned char base)
    : _s(signedDigits<long long, unsigned long long>(value, base)) {}
String::String(unsigned long long value, unsigned char base) : _s(digits(value, base)) {}
String::String(float value, unsigned int decimalPlaces) : _s(fixed(value, decimalPlaces)) {}
String::String(double value, unsigned int decimalPlaces) : _s(fixed(value, decimalPlaces)) {}

bool String::reserve(unsigned int size) {
  _s.reserve(size);
  return true;
}

bool String::concat(const String &s) {
  _s += s._s;
  return true;
}

bool String::concat(const char *s) {
  if (s == nullptr)
    return false;
  _s += s;
  return true;
}

bool String::concat(const char *s, unsigned int n) {
  if (s == nullptr)
    return false;
  _s.append(s, n);
  return true;
}

bool String::concat(char c) {
  _s.push_back(c);
  return true;
}

bool String::equalsIgnoreCase(const String &s) const {
  return _s.size() == s._s.size() &&
         std::equal(_s.begin(), _s.end(), s._s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

bool String::startsWith(const String &prefix, unsigned int offset) const {
  return offset <= _s.size() && _s.compare(offset, prefix._s.size(), prefix._s) == 0 &&
         _s.size() - offset >= prefix._s.size();
}

bool String::endsWith(const String &suffix) const {
  return _s.size() >= suffix._s.size() &&
         _s.compare(_s.size() - suffix._s.size(), suffix._s.size(), suffix._s) == 0;
}

void String::setCharAt(unsigned int index, char c) {
  if (index < _s.size())
    _s[index] = c;
}

char &String::operator[](unsigned int index) {
  static char dummy;  // Arduino's answer to an index past the end
  if (index >= _s.size()) {
    dummy = 0;
    return dummy;
  }
  return _s[index];
}

void String::getBytes(unsigned char *buf, unsigned int bufsize, unsigned int index) const {
  if (buf == nullptr || bufsize == 0)
    return;
  if (index >= _s.size()) {
    buf[0] = 0;
    return;
  }
  const size_t n = std::min<size_t>(bufsize - 1, _s.size() - index);
  _s.copy(reinterpret_cast<char *>(buf), n, index);
  buf[n] = 0;
}

static int position(size_t pos) {
  return pos == std::string::npos ? -1 : static_cast<int>(pos);
}

int String::indexOf(char c, unsigned int from) const {
  return position(_s.find(c, from));
}

int String::indexOf(const String &s, unsigned int from) const {
  return position(_s.find(s._s, from));
}

int String::lastIndexOf(char c) const {
  return position(_s.rfind(c));
}

int String::lastIndexOf(char c, unsigned int from) const {
  return position(_s.rfind(c, from));
}

int String::lastIndexOf(const String &s) const {
  return position(_s.rfind(s._s));
}

int String::lastIndexOf(const String &s, unsigned int from) const {
  return position(_s.rfind(s._s, from));
}

String String::substring(unsigned int from, unsigned int to) const {
  if (from > to)
    std::swap(from, to);
  if (from >= _s.size())
    return String();
  to = std::min<unsigned int>(to, length());
  return String(_s.substr(from, to - from));
}

void String::replace(char find, char with) {
  std::replace(_s.begin(), _s.end(), find, with);
}

void String::replace(const String &find, const String &with) {
  if (find._s.empty())
    return;
  for (size_t pos = _s.find(find._s); pos != std::string::npos;
       pos = _s.find(find._s, pos + with._s.size()))
    _s.replace(pos, find._s.size(), with._s);
}

void String::remove(unsigned int index, unsigned int count) {
  if (index < _s.size())
    _s.erase(index, count);
}

void String::toLowerCase() {
  for (char &c : _s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

void String::toUpperCase() {
  for (char &c : _s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

void String::trim() {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  const auto first = std::find_if_not(_s.begin(), _s.end(), space);
  const auto last = std::find_if_not(_s.rbegin(), _s.rend(), space).base();
  _s = first < last ? std::string(first, last) : std::string();
}

long String::toInt() const {
  return std::atol(_s.c_str());
}

float String::toFloat() const {
  return static_cast<float>(std::atof(_s.c_str()));
}

double String::toDouble() const {
  return std::atof(_s.c_str());
}

// init_priority: constructed before every ordinary global of any translation unit, so a
// global constructor elsewhere may already read it.
const String emptyString __attribute__((init_priority(101)));
