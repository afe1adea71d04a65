#include "socket_activity.hpp"

#include "easy_options.hpp"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstring>
#include <new>

namespace asyncload::native {
namespace {

// Whether `address` is ip:port, the IP in the text form libcurl reports.
bool is_endpoint(const sockaddr_storage& address, const char* ip, int port) {
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    in_addr wanted{};
    return ntohs(v4.sin_port) == port && inet_pton(AF_INET, ip, &wanted) == 1 &&
           std::memcmp(&wanted, &v4.sin_addr, sizeof wanted) == 0;
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    in6_addr wanted{};
    return ntohs(v6.sin6_port) == port && inet_pton(AF_INET6, ip, &wanted) == 1 &&
           std::memcmp(&wanted, &v6.sin6_addr, sizeof wanted) == 0;
  }
  return false;
}

bool is_connection(curl_socket_t socket, const char* local_ip, int local_port, const char* remote_ip,
                   int remote_port) {
  sockaddr_storage local{};
  sockaddr_storage remote{};
  socklen_t local_size = sizeof local;
  socklen_t remote_size = sizeof remote;
  return getsockname(socket, reinterpret_cast<sockaddr*>(&local), &local_size) == 0 &&
         getpeername(socket, reinterpret_cast<sockaddr*>(&remote), &remote_size) == 0 &&
         is_endpoint(local, local_ip, local_port) && is_endpoint(remote, remote_ip, remote_port);
}

bool has_bytes_to_read(curl_socket_t socket) {
#ifdef _WIN32
  u_long waiting = 0;
  return ioctlsocket(socket, FIONREAD, &waiting) == 0 && waiting > 0;
#else
  int waiting = 0;
  return ioctl(socket, FIONREAD, &waiting) == 0 && waiting > 0;
#endif
}

}  // namespace

// Each pair sets its data before its function: a handle on which a later set failed (torture
// mode) never calls a function with another transfer's data, or none.
CURLcode SocketActivity::prepare(CURL* easy) {
  EasyOptions options(easy);
  options.set(CURLOPT_SOCKOPTDATA, static_cast<void*>(this));
  options.set(CURLOPT_SOCKOPTFUNCTION, &on_socket_opened);
  options.set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
  options.set(CURLOPT_CLOSESOCKETFUNCTION, &on_socket_closed);
  return options.result();
}

CURLcode SocketActivity::watch(CURL* easy, const void* key) {
  Watched& watched = watched_.insert_or_assign(key, Watched{this}).first->second;
  EasyOptions options(easy);
  options.set(CURLOPT_PREREQDATA, static_cast<void*>(&watched));
  options.set(CURLOPT_PREREQFUNCTION, &on_request_ready);
  return options.result();
}

void SocketActivity::forget(const void* key) { watched_.erase(key); }

CURLcode SocketActivity::unwatch(CURL* easy) {
  EasyOptions options(easy);
  options.set(CURLOPT_PREREQFUNCTION, static_cast<curl_prereq_callback>(nullptr));
  return options.result();
}

bool SocketActivity::bytes_waiting(const void* key) const {
  const auto found = watched_.find(key);
  if (found == watched_.end() || found->second.socket == CURL_SOCKET_BAD) return false;
  const curl_socket_t socket = found->second.socket;
  const bool shared = std::any_of(watched_.begin(), watched_.end(), [&](const auto& other) {
    return other.first != key && other.second.socket == socket;
  });
  return !shared && has_bytes_to_read(socket);
}

// CURLOPT_SOCKOPTFUNCTION: a new socket, before it connects.
int SocketActivity::on_socket_opened(void* self, curl_socket_t socket, curlsocktype) {
  try {
    static_cast<SocketActivity*>(self)->open_.push_back(socket);
    return CURL_SOCKOPT_OK;
  } catch (const std::bad_alloc&) {  // never let an exception unwind through libcurl
    return CURL_SOCKOPT_ERROR;        // curl closes the socket and fails the connect
  }
}

// CURLOPT_CLOSESOCKETFUNCTION: curl is done with a socket (connections outlive their transfers,
// so this may come long after, from any handle, or from curl_multi_cleanup).
int SocketActivity::on_socket_closed(void* self, curl_socket_t socket) {
  auto& activity = *static_cast<SocketActivity*>(self);
  std::erase(activity.open_, socket);
  for (auto& [key, watched] : activity.watched_)
    if (watched.socket == socket) watched.socket = CURL_SOCKET_BAD;
#ifdef _WIN32
  return closesocket(socket);
#else
  return close(socket);
#endif
}

// CURLOPT_PREREQFUNCTION: the transfer's connection is up (new or reused); its request follows.
int SocketActivity::on_request_ready(void* watched_ptr, char* remote_ip, char* local_ip, int remote_port,
                                     int local_port) {
  auto& watched = *static_cast<Watched*>(watched_ptr);
  const auto& open = watched.owner->open_;
  const auto found = std::find_if(open.begin(), open.end(), [&](curl_socket_t socket) {
    return is_connection(socket, local_ip, local_port, remote_ip, remote_port);
  });
  watched.socket = found != open.end() ? *found : CURL_SOCKET_BAD;
  return CURL_PREREQFUNC_OK;
}

}  // namespace asyncload::native
