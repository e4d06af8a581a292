// For the Arduino IDE, which puts only src/ on the include path of a library.
#pragma once
#include "../include/AsyncTCP.h"
