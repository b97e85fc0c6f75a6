// Private: one non-blocking datagram socket (UDP unicast, a UDP multicast group, or a local
// Unix-domain datagram socket) driven by Boost.Asio readiness waits, receiving and sending
// in batches with recvmmsg/sendmmsg. Every datagram is at most 512 bytes (spec 1); longer
// ones are counted and dropped. A local socket takes datagrams only from allowed users: the
// kernel stamps each with its sender's credentials (SO_PASSCRED), and the rest are counted
// and dropped.
//
// Thread safety: none; the owner calls it from one strand, which its waits are bound to.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/datagram_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sys/types.h>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>

namespace dabs::mp::internal {

struct SocketOptions {
  size_t buffer_bytes = 8 << 20;  // SO_RCVBUF / SO_SNDBUF asked for
  // UDP segmentation offload: runs of equal datagrams to one peer leave as one GSO send,
  // and the socket accepts coalesced (GRO) receives. Costs 512 KiB of receive buffers.
  bool offload = true;
  size_t send_queue_limit = 65536;  // datagrams held while the socket is full
  std::string multicast_interface;  // IPv4 address for IP_MULTICAST_IF and joins
  int multicast_ttl = 1;
  // Local sockets: the users (real uids, as the kernel reports a sender) whose datagrams
  // are taken. Empty: this process's effective uid and root.
  std::vector<uid_t> local_allowed_uids;
};

struct SocketStats {
  uint64_t received = 0, sent = 0;
  uint64_t oversize = 0;       // datagrams over 512 bytes, dropped
  uint64_t send_errors = 0;    // refused by the kernel (no route, ...)
  uint64_t queue_drops = 0;    // over send_queue_limit while the socket was full
  uint64_t offload_sends = 0;  // GSO sends (each carrying several datagrams)
  uint64_t local_retries = 0;  // sends to a local peer whose queue was full, tried again
  uint64_t refused = 0;        // local datagrams from a user not allowed (or unknown), dropped
};

class DatagramSocket {
 public:
  using Receiver = std::function<void(const Endpoint& from, std::span<const uint8_t> bytes)>;

  // A UDP socket bound to `bind` (port 0 picks one).
  static Result<std::unique_ptr<DatagramSocket>> OpenUdp(const boost::asio::any_io_executor& ex,
                                                         const Endpoint& bind,
                                                         const SocketOptions& options);
  // A receive-only socket for an IPv4 multicast group, joined on options.multicast_interface;
  // other processes on the host may join the same group and port.
  static Result<std::unique_ptr<DatagramSocket>> OpenGroup(const boost::asio::any_io_executor& ex,
                                                           const Endpoint& group,
                                                           const SocketOptions& options);
  // A Unix-domain datagram socket bound to `path` (a stale file there is replaced), mode 0600,
  // taking datagrams only from options.local_allowed_uids.
  static Result<std::unique_ptr<DatagramSocket>> OpenLocal(const boost::asio::any_io_executor& ex,
                                                           const std::string& path,
                                                           const SocketOptions& options);
  ~DatagramSocket();
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;

  const Endpoint& local_endpoint() const { return local_; }

  // Reads what is waiting, up to `budget` datagrams, calling `receiver` for each.
  // Returns how many were read (0 when none was waiting).
  size_t ReceiveBatch(const Receiver& receiver, size_t budget);
  // Calls `ready` once a datagram is waiting (or the socket closed: then ec is set). The
  // wait is a one-byte peek: Asio tries a real receive at once and, unlike a readiness
  // wait, never re-registers the socket with epoll; the datagram stays for ReceiveBatch.
  void WaitReadable(std::function<void(const boost::system::error_code&)> ready);

  // Queues a datagram; Flush() sends what is queued.
  void Queue(const Endpoint& to, std::span<const uint8_t> bytes);
  // Sends the queue; if the socket is full, waits for room and goes on by itself.
  void Flush();
  bool has_queued() const { return !queue_.empty(); }
  // When a full socket (or a local peer's full queue) may take more, the socket calls `wake`
  // from an I/O thread instead of flushing there itself; the owner then calls Flush where it
  // serialises the socket's use. Without one, the socket flushes in the handler (single
  // threaded users). REQUIRES: set before the first Flush.
  void SetWake(std::function<void()> wake) { wake_ = std::move(wake); }

  void Close();
  const SocketStats& stats() const { return stats_; }

 private:
  struct Outgoing {
    Endpoint to;
    uint16_t size;
    uint8_t bytes[512];
  };

  DatagramSocket(const boost::asio::any_io_executor& ex, int fd, Endpoint local,
                 const SocketOptions& options);
  static Result<std::unique_ptr<DatagramSocket>> Wrap(const boost::asio::any_io_executor& ex,
                                                      int fd, const SocketOptions& options);
  void ReadyToSend();
  // Whether a datagram from `uid` (none: its credentials were missing) may be delivered.
  bool SenderAllowed(std::optional<uid_t> uid) const;
  // Emits the datagrams of one receive, split into its segments when it was coalesced.
  void Deliver(const Receiver& receiver, const Endpoint& from, const uint8_t* data, size_t size,
               size_t segment, bool truncated);
  // How many queued datagrams from `first` can leave as one GSO send.
  size_t RunLength(std::deque<Outgoing>::const_iterator first) const;

  boost::asio::generic::datagram_protocol::socket descriptor_;
  uint8_t peek_byte_ = 0;
  boost::asio::generic::datagram_protocol::endpoint peek_from_;
  bool gso_ = false;    // UDP_SEGMENT sends work on this socket
  bool gro_ = false;    // UDP_GRO receives are on
  size_t rx_slot_ = 0;  // bytes per receive slot
  Endpoint local_;
  SocketOptions options_;
  SocketStats stats_;
  std::deque<Outgoing> queue_;
  // Set by a wait's handler on an I/O thread, read by Flush where the owner serialises it.
  std::atomic<bool> waiting_writable_{false};
  std::function<void()> wake_;
  // A local (Unix datagram) peer's queue is full: Linux never signals writability for it on
  // an unconnected socket, so the send is retried after a short, growing pause instead.
  boost::asio::steady_timer retry_timer_;
  std::chrono::microseconds retry_pause_{0};
  std::string unlink_on_close_;
  // Local sockets only: SO_PASSCRED is on and each datagram's sender is checked against these.
  bool check_sender_ = false;
  std::vector<uid_t> allowed_uids_;
  // Receive buffers, reused across batches.
  std::vector<uint8_t> rx_;
  // Handlers of our own waits hold it weakly: once the socket is destroyed they do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dabs::mp::internal
