// arduino-esp32's HTTP_Method.h (its WebServer library): the HTTP methods are the enum of
// http_parser, which ESP-IDF ships; on Linux it is Debian's libhttp-parser-dev (the same
// nodejs http_parser 2.x).
#pragma once

#include <http_parser.h>

typedef enum http_method HTTPMethod;
#define HTTP_ANY (HTTPMethod)(255)
