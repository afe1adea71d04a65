// Boost.JSON and Boost.URL compiled once, for builds without Debian's Boost libraries (MinGW:
// Debian's are Linux binaries). The Emscripten build has its own copy (web/boost_sources.cpp).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
