// Why this shim exists: Debian's libhttp-parser-dev ships no pkg-config file, so the module
// map names the library and this header pulls in http_parser.h for Swift.
#ifndef EDGELIVE_CHTTPPARSER_SHIM_H
#define EDGELIVE_CHTTPPARSER_SHIM_H
#include <http_parser.h>
#endif
