// native/socket_activity.hpp — bytes that reached a transfer's socket but not yet libcurl's
// callbacks, so that the stall clock means "no byte for stall_timeout".
//
// libcurl calls back with complete header lines only (and with body bytes only once a whole TLS
// record is in), so a head arriving one byte at a time looks silent to its callbacks. The
// scheduler therefore asks, after curl_multi_poll() returned and before curl_multi_perform()
// reads the sockets, which watched transfers have bytes waiting on their connection.
//
// libcurl 7.88 does not say which socket a running transfer uses (CURLINFO_ACTIVESOCKET only
// answers after it finished), so this follows the sockets curl opens and closes
// (CURLOPT_SOCKOPTFUNCTION, CURLOPT_CLOSESOCKETFUNCTION) and, when a transfer is about to send
// its request (CURLOPT_PREREQFUNCTION, also on a reused connection), finds the one whose
// addresses are that connection's. A connection that several watched transfers share (HTTP/2)
// says nothing about any one of them: only their callbacks count there.
//
// I/O thread only (and the backend's destructor, once that thread is gone).
#pragma once

#include <curl/curl.h>

#include <unordered_map>
#include <vector>

namespace asyncload::native {

class SocketActivity {
public:
  // A new easy handle: every socket it opens is known from now on (connections outlive their
  // transfers and move between handles, so all are).
  CURLcode prepare(CURL* easy);
  // Follows the connection of the transfer `key` on `easy` (prepared), from now until forget(key).
  CURLcode watch(CURL* easy, const void* key);
  // The transfer left the multi (its handle no longer calls back).
  void forget(const void* key);
  // A reused handle's next transfer is not watched: the handle stops calling back for the
  // transfer it was watched for.
  static CURLcode unwatch(CURL* easy);
  // Bytes are waiting on the transfer's connection, and no other watched transfer uses it.
  bool bytes_waiting(const void* key) const;

private:
  struct Watched {
    SocketActivity* owner;
    curl_socket_t socket = CURL_SOCKET_BAD;  // its connection's, once known
  };

  static int on_socket_opened(void* self, curl_socket_t socket, curlsocktype purpose);
  static int on_socket_closed(void* self, curl_socket_t socket);
  static int on_request_ready(void* watched, char* remote_ip, char* local_ip, int remote_port,
                              int local_port);

  std::vector<curl_socket_t> open_;                 // every socket curl opened and has not closed
  std::unordered_map<const void*, Watched> watched_;  // node-based: curl holds &Watched
};

}  // namespace asyncload::native
