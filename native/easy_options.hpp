// native/easy_options.hpp — sets curl options one after another and keeps the first failure,
// so a caller writes a list of set() calls and checks once. Each set() is one of torture mode's
// fallible calls (fault_injection.hpp).
#pragma once

#include <asyncload/detail/fault_injection.hpp>

#include <curl/curl.h>

namespace asyncload::native {

class EasyOptions {
public:
  explicit EasyOptions(CURL* easy) : easy_(easy) {}

  template <class Value>
  void set(CURLoption option, Value value) {
    if (result_ != CURLE_OK) return;
    result_ = fault::fail_point(fault::Call::easy_setopt) ? CURLE_OUT_OF_MEMORY
                                                          : curl_easy_setopt(easy_, option, value);
  }
  CURLcode result() const { return result_; }

private:
  CURL* easy_;
  CURLcode result_ = CURLE_OK;
};

}  // namespace asyncload::native
