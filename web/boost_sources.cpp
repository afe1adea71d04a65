// Debian's Boost libraries are x86-64 binaries: the web build compiles Boost.JSON and Boost.URL
// header-only, here and nowhere else.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
