// A man in the middle on loopback, for tests of what an attacker on the path can do: clients
// send to front(); the relay forwards each datagram to the server from its back socket, and
// what the server sends there goes to the last client heard. A filter sees every datagram
// and may record, change or drop it; Inject sends bytes of the test's own making as if they
// came from the other side. One thread; stops with the object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dabs::testing {

class UdpRelay {
 public:
  enum class Way { kToServer, kToClient };
  // Returns false to drop the datagram; may change it in place. Runs on the relay's thread.
  using Filter = std::function<bool(Way, std::vector<uint8_t>&)>;

  explicit UdpRelay(uint16_t server_port) : front_(Bind()), back_(Bind()) {
    server_ = Loopback(server_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~UdpRelay() {
    stop_ = true;
    thread_.join();
    ::close(front_);
    ::close(back_);
  }
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  uint16_t front_port() const { return PortOf(front_); }
  void SetFilter(Filter f) {
    std::lock_guard lock(mu_);
    filter_ = std::move(f);
  }
  // Sends `bytes` on to one side: to the server from the client's apparent endpoint (the
  // back socket), or to the client from the server's (the front socket).
  void Inject(Way way, const std::vector<uint8_t>& bytes) {
    std::lock_guard lock(mu_);
    Send(way, bytes);
  }

 private:
  static int Bind() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = Loopback(0);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
  }
  static sockaddr_in Loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }
  static uint16_t PortOf(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  // REQUIRES: mu_ held.
  void Send(Way way, const std::vector<uint8_t>& bytes) {
    if (way == Way::kToServer) {
      ::sendto(back_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&server_),
               sizeof server_);
    } else if (have_client_) {
      ::sendto(front_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&client_),
               sizeof client_);
    }
  }
  void Run() {
    pollfd fds[2] = {{front_, POLLIN, 0}, {back_, POLLIN, 0}};
    std::vector<uint8_t> buf(2048);
    while (!stop_) {
      if (::poll(fds, 2, 20) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(fds[i].fd, buf.data(), buf.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) continue;
        std::vector<uint8_t> bytes(buf.begin(), buf.begin() + n);
        const Way way = i == 0 ? Way::kToServer : Way::kToClient;
        std::lock_guard lock(mu_);
        if (way == Way::kToServer) {
          client_ = from;
          have_client_ = true;
        }
        if (!filter_ || filter_(way, bytes)) Send(way, bytes);
      }
    }
  }

  const int front_, back_;
  sockaddr_in server_{}, client_{};
  bool have_client_ = false;
  std::mutex mu_;
  Filter filter_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dabs::testing
