#include "datagram_socket.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dabs/mp/errc.h>
#include <dabs/mp/wire.h>

namespace dabs::mp::internal {

namespace {

constexpr size_t kBatch = 64;     // messages per recvmmsg / sendmmsg call
constexpr size_t kGroSlots = 16;  // receive slots when coalesced receives are on
constexpr size_t kGroSlotBytes = 64 * wire::kMaxDatagram;  // the kernel coalesces 64 at most
constexpr size_t kMaxSegments = 64;  // datagrams per GSO send (the kernel's lower limit)
constexpr size_t kMaxGsoBytes = 60'000;
// Room for one receive's ancillary data: a UDP_GRO segment size, or a local sender's
// credentials (SCM_CREDENTIALS).
constexpr size_t kRxControlBytes = std::max(CMSG_SPACE(sizeof(int)), CMSG_SPACE(sizeof(ucred)));

Error SysError(const std::string& what) {
  return Error{std::error_code(errno, std::system_category()), what};
}

bool ToSockaddr(const Endpoint& e, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  if (e.kind() == TransportKind::kLocal) {
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    if (e.path().size() >= sizeof un->sun_path) return false;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, e.path().data(), e.path().size());
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + e.path().size() + 1);
    return true;
  }
  if (!e.is_udp() || !e.valid()) return false;
  if (e.is_v6()) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(e.port());
    std::memcpy(&in6->sin6_addr, e.address_bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(e.port());
    in4->sin_addr.s_addr = htonl(e.v4());
    len = sizeof(sockaddr_in);
  }
  return true;
}

Endpoint FromSockaddr(const sockaddr_storage& ss, socklen_t len) {
  switch (ss.ss_family) {
    case AF_INET: {
      const auto* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
      return Endpoint::Udp4(ntohl(in4->sin_addr.s_addr), ntohs(in4->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      std::array<uint8_t, 16> a{};
      std::memcpy(a.data(), &in6->sin6_addr, 16);
      return Endpoint::Udp6(a, ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
      const size_t max =
          len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
      return Endpoint::Local(std::string(un->sun_path, strnlen(un->sun_path, max)));
    }
    default:
      return Endpoint();
  }
}

void SetBuffers(int fd, size_t bytes) {
  const int v = static_cast<int>(bytes);
  // Root may go past net.core.rmem_max; anyone else gets what the limit allows.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
}

Result<in_addr> InterfaceAddress(const std::string& text) {
  in_addr a{};
  a.s_addr = htonl(INADDR_ANY);
  if (text.empty()) return a;
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return Error{make_error_code(Errc::kMalformed),
                 "bad multicast interface address '" + text + "'"};
  }
  return a;
}

// What the kernel says about one receive beyond its bytes.
struct Ancillary {
  size_t segment = 0;        // UDP_GRO: the size of each coalesced datagram (0: not coalesced)
  std::optional<uid_t> uid;  // SCM_CREDENTIALS: the sender's real uid
};

Ancillary ReadAncillary(msghdr& h) {
  Ancillary a;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      a.segment = static_cast<size_t>(v);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred{};
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      a.uid = cred.uid;
    }
  }
  return a;
}

// Binds `fd` to the local path `path` so that only allowed users' datagrams are taken and
// only this user (and root) may send to it.
Status BindLocal(int fd, const std::string& path, const sockaddr_storage& ss, socklen_t len) {
  // SO_PASSCRED before bind: the kernel stamps a datagram with its sender's credentials only
  // if the option is on when it is sent, so none can slip in unstamped.
  const int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    return SysError("SO_PASSCRED on " + path);
  }
  ::unlink(path.c_str());  // a stale socket file left by a killed process
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return SysError("bind " + path);
  // The mode of an AF_UNIX socket can only be set on its path, after bind (fchmod on the
  // descriptor changes the socket inode, not the file). Until this chmod the file has the
  // umask's mode, but nothing slips through: dabs binds its sockets in the server's state
  // directory, which is 0700, so no other user can reach the path (or swap it for a
  // symlink), and SO_PASSCRED is already on. We change no process-wide umask, which files
  // that other threads create meanwhile would inherit.
  if (::chmod(path.c_str(), 0600) != 0) {
    Status s = SysError("chmod 600 " + path);
    ::unlink(path.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace

DatagramSocket::DatagramSocket(const boost::asio::any_io_executor& ex, int fd, Endpoint local,
                               const SocketOptions& options)
    : descriptor_(ex), local_(std::move(local)), options_(options), retry_timer_(ex) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  boost::system::error_code ec;
  descriptor_.assign(boost::asio::generic::datagram_protocol(ss.ss_family, 0), fd, ec);
  descriptor_.non_blocking(true, ec);
  if (options.offload && local_.is_udp() && !local_.IsMulticast()) {
    const int one = 1;
    gro_ = setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) == 0;
    gso_ = true;  // tried on the first run of equal datagrams; turned off if refused
  }
  rx_slot_ = gro_ ? kGroSlotBytes : wire::kMaxDatagram;
  rx_.resize((gro_ ? kGroSlots : kBatch) * rx_slot_);
}

DatagramSocket::~DatagramSocket() {
  Close();
}

Result<std::unique_ptr<DatagramSocket>> DatagramSocket::Wrap(const boost::asio::any_io_executor& ex,
                                                             int fd, const SocketOptions& options) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    Error e = SysError("getsockname");
    ::close(fd);
    return e;
  }
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return std::unique_ptr<DatagramSocket>(
      new DatagramSocket(ex, fd, FromSockaddr(ss, len), options));
}

Result<std::unique_ptr<DatagramSocket>> DatagramSocket::OpenUdp(
    const boost::asio::any_io_executor& ex, const Endpoint& bind, const SocketOptions& options) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!bind.is_udp() || !ToSockaddr(bind, ss, len)) {
    return Error{make_error_code(Errc::kMalformed), "not a UDP endpoint: " + bind.ToString()};
  }
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SysError("socket");
  SetBuffers(fd, options.buffer_bytes);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    Error e = SysError("bind " + bind.ToString());
    ::close(fd);
    return e;
  }
  if (!bind.is_v6()) {
    auto iface = InterfaceAddress(options.multicast_interface);
    if (!iface) {
      ::close(fd);
      return iface.error();
    }
    // Group messages leave through the configured interface and come back to listeners
    // on this host too (several servers of a farm may share one machine).
    const unsigned char loop = 1, ttl = static_cast<unsigned char>(options.multicast_ttl);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &*iface, sizeof *iface);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
  }
  return Wrap(ex, fd, options);
}

Result<std::unique_ptr<DatagramSocket>> DatagramSocket::OpenGroup(
    const boost::asio::any_io_executor& ex, const Endpoint& group, const SocketOptions& options) {
  if (!group.IsMulticast() || group.is_v6()) {
    return Error{make_error_code(Errc::kMalformed),
                 "not an IPv4 multicast group: " + group.ToString()};
  }
  auto iface = InterfaceAddress(options.multicast_interface);
  if (!iface) return iface.error();
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SysError("socket");
  const int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  SetBuffers(fd, options.buffer_bytes);
  sockaddr_storage ss{};
  socklen_t len = 0;
  ToSockaddr(group, ss, len);  // bound to the group: only its datagrams arrive here
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    Error e = SysError("bind " + group.ToString());
    ::close(fd);
    return e;
  }
  ip_mreq mreq{};
  mreq.imr_multiaddr.s_addr = htonl(group.v4());
  mreq.imr_interface = *iface;
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    Error e = SysError(
        "join " + group.ToString() + " on " +
        (options.multicast_interface.empty() ? "any interface" : options.multicast_interface));
    ::close(fd);
    return e;
  }
  setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
  return Wrap(ex, fd, options);
}

Result<std::unique_ptr<DatagramSocket>> DatagramSocket::OpenLocal(
    const boost::asio::any_io_executor& ex, const std::string& path, const SocketOptions& options) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!ToSockaddr(Endpoint::Local(path), ss, len)) {
    return Error{make_error_code(Errc::kMalformed), "socket path too long: " + path};
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SysError("socket");
  SetBuffers(fd, options.buffer_bytes);
  if (Status s = BindLocal(fd, path, ss, len); !s) {
    ::close(fd);
    return s.error();
  }
  auto socket = Wrap(ex, fd, options);
  if (!socket) return socket;
  (*socket)->unlink_on_close_ = path;
  (*socket)->check_sender_ = true;
  (*socket)->allowed_uids_ = options.local_allowed_uids;
  if (options.local_allowed_uids.empty()) (*socket)->allowed_uids_ = {::geteuid(), 0};
  return socket;
}

bool DatagramSocket::SenderAllowed(std::optional<uid_t> uid) const {
  // No credentials (cut off, or absent): refused, since we cannot tell who sent it.
  return uid && std::find(allowed_uids_.begin(), allowed_uids_.end(), *uid) != allowed_uids_.end();
}

void DatagramSocket::Deliver(const Receiver& receiver, const Endpoint& from, const uint8_t* data,
                             size_t size, size_t segment, bool truncated) {
  if (truncated || segment > wire::kMaxDatagram || (segment == 0 && size > wire::kMaxDatagram)) {
    ++stats_.received;
    ++stats_.oversize;  // over 512 bytes: not an MP datagram
    return;
  }
  if (segment == 0) segment = size;
  for (size_t at = 0; at < size || size == 0; at += segment) {
    ++stats_.received;
    receiver(from, std::span<const uint8_t>(data + at, std::min(segment, size - at)));
    if (size == 0) break;
  }
}

size_t DatagramSocket::ReceiveBatch(const Receiver& receiver, size_t budget) {
  const size_t slots = rx_.size() / rx_slot_;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> from{};
  // Ancillary data arrives for GRO (segment sizes) and local sockets (credentials) only.
  alignas(cmsghdr) std::array<std::array<char, kRxControlBytes>, kBatch> control;
  const bool ancillary = gro_ || check_sender_;
  size_t total = 0;
  while (total < budget && descriptor_.is_open()) {
    const size_t want = std::min(slots, budget - total);
    for (size_t i = 0; i < want; ++i) {
      iov[i] = {rx_.data() + i * rx_slot_, rx_slot_};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      if (ancillary) {
        msgs[i].msg_hdr.msg_control = control[i].data();
        msgs[i].msg_hdr.msg_controllen = control[i].size();
      }
    }
    const int n = ::recvmmsg(descriptor_.native_handle(), msgs.data(), static_cast<unsigned>(want),
                             MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: drained (other errors: nothing to read either)
    }
    for (int i = 0; i < n; ++i) {
      const Ancillary a = ancillary ? ReadAncillary(msgs[i].msg_hdr) : Ancillary{};
      if (check_sender_ && !SenderAllowed(a.uid)) {
        ++stats_.received;
        ++stats_.refused;  // another user's datagram: never decoded, never answered
        continue;
      }
      Deliver(receiver, FromSockaddr(from[i], msgs[i].msg_hdr.msg_namelen),
              rx_.data() + static_cast<size_t>(i) * rx_slot_, msgs[i].msg_len, a.segment,
              (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
    }
    total += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < want) break;
  }
  return total;
}

void DatagramSocket::WaitReadable(std::function<void(const boost::system::error_code&)> ready) {
  descriptor_.async_receive_from(
      boost::asio::buffer(&peek_byte_, 1), peek_from_, boost::asio::socket_base::message_peek,
      [alive = std::weak_ptr<bool>(alive_), ready = std::move(ready)](
          const boost::system::error_code& ec, size_t) {
        ready(alive.expired() ? boost::asio::error::operation_aborted : ec);
      });
}

void DatagramSocket::Queue(const Endpoint& to, std::span<const uint8_t> bytes) {
  if (bytes.size() > wire::kMaxDatagram) {
    ++stats_.oversize;
    return;
  }
  sockaddr_storage probe{};
  socklen_t len = 0;
  if (!ToSockaddr(to, probe, len)) {  // not addressable from this socket
    ++stats_.send_errors;
    return;
  }
  if (queue_.size() >= options_.send_queue_limit) {
    ++stats_.queue_drops;  // the MP's retransmissions make up for it
    return;
  }
  Outgoing& o = queue_.emplace_back();
  o.to = to;
  o.size = static_cast<uint16_t>(bytes.size());
  std::memcpy(o.bytes, bytes.data(), bytes.size());
}

size_t DatagramSocket::RunLength(std::deque<Outgoing>::const_iterator first) const {
  if (!gso_) return 1;
  size_t n = 1, bytes = first->size;
  for (auto it = std::next(first); it != queue_.end() && n < kMaxSegments; ++it) {
    // Every datagram of a run has the first one's size but the last, which may be shorter.
    if (!(it->to == first->to) || it->size > first->size || bytes + it->size > kMaxGsoBytes) break;
    ++n;
    bytes += it->size;
    if (it->size < first->size) break;
  }
  return n;
}

void DatagramSocket::Flush() {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<sockaddr_storage, kBatch> to{};
  std::array<size_t, kBatch> carried{};  // datagrams in each message
  std::array<std::array<char, CMSG_SPACE(sizeof(uint16_t))>, kBatch> control{};
  std::vector<iovec> iov;
  while (!queue_.empty() && !waiting_writable_ && descriptor_.is_open()) {
    iov.clear();
    iov.reserve(std::min(queue_.size(), kBatch * kMaxSegments));
    size_t n = 0;
    for (auto it = queue_.begin(); it != queue_.end() && n < kBatch;) {
      const size_t run = RunLength(it);
      socklen_t len = 0;
      ToSockaddr(it->to, to[n], len);  // checked in Queue()
      const size_t first_iov = iov.size();
      for (size_t k = 0; k < run; ++k, ++it)
        iov.push_back({it->bytes, it->size});
      msgs[n].msg_hdr = {};
      msgs[n].msg_hdr.msg_iov = iov.data() + first_iov;
      msgs[n].msg_hdr.msg_iovlen = run;
      msgs[n].msg_hdr.msg_name = &to[n];
      msgs[n].msg_hdr.msg_namelen = len;
      if (run > 1) {  // one GSO send: the kernel cuts it into datagrams of the first's size
        msgs[n].msg_hdr.msg_control = control[n].data();
        msgs[n].msg_hdr.msg_controllen = control[n].size();
        cmsghdr* c = CMSG_FIRSTHDR(&msgs[n].msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const uint16_t segment = iov[first_iov].iov_len;
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      carried[n++] = run;
    }
    const int sent = ::sendmmsg(descriptor_.native_handle(), msgs.data(), static_cast<unsigned>(n),
                                MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == ENOBUFS) && local_.kind() == TransportKind::kLocal) {
        // The peer's queue is full (net.unix.max_dgram_qlen datagrams): it is another process
        // on this host, draining it; try again shortly (50 us, doubling to 5 ms).
        waiting_writable_ = true;
        retry_pause_ = std::clamp(retry_pause_ * 2, std::chrono::microseconds(50),
                                  std::chrono::microseconds(5000));
        ++stats_.local_retries;
        retry_timer_.expires_after(retry_pause_);
        retry_timer_.async_wait(
            [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
              if (alive.expired() || ec) return;
              ReadyToSend();
            });
        return;
      }
      if (errno == EAGAIN || errno == ENOBUFS) {
        // The socket's own buffer is full: wait for room.
        waiting_writable_ = true;
        descriptor_.async_wait(
            boost::asio::socket_base::wait_write,
            [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
              if (alive.expired() || ec) return;  // the socket is gone, or closed
              ReadyToSend();
            });
        return;
      }
      if (carried[0] > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
        gso_ = false;  // no segmentation offload here: send datagram by datagram
        continue;
      }
      // This datagram cannot go (no route, no such local socket): drop it, send the rest.
      stats_.send_errors += carried[0];
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(carried[0]));
      continue;
    }
    retry_pause_ = std::chrono::microseconds(0);
    size_t done = 0;
    for (int i = 0; i < sent; ++i) {
      done += carried[static_cast<size_t>(i)];
      if (carried[static_cast<size_t>(i)] > 1) ++stats_.offload_sends;
    }
    stats_.sent += done;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(done));
  }
}

void DatagramSocket::ReadyToSend() {
  waiting_writable_ = false;
  // Flush belongs to whoever serialises this socket's use (the node): ask it to.
  if (wake_) {
    wake_();
  } else {
    Flush();
  }
}

void DatagramSocket::Close() {
  boost::system::error_code ignored;
  retry_timer_.cancel();
  if (descriptor_.is_open()) descriptor_.close(ignored);
  if (!unlink_on_close_.empty()) {
    ::unlink(unlink_on_close_.c_str());
    unlink_on_close_.clear();
  }
}

}  // namespace dabs::mp::internal
