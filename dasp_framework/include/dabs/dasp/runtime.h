// What a server portion asks of the runtime: event callbacks (seed Fig. 19), reports to
// dabs-lbd, resource locks and timers, its own figures. Implemented by Instance.
//
// Event callbacks run on the instance's control path: a worker thread, one at a time and in
// registration order, apart from the sessions' message queues (they never hold up, nor are
// held up by, a session's messages).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include <dabs/dasp/resource_lock.h>
#include <dabs/dasp/timers.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/va.h>

namespace dabs::dasp {

enum class ShutdownMode : uint8_t { kClean = 1, kEmergency = 2 };

class Runtime {
 public:
  virtual ~Runtime() = default;

  // ---- Runtime events, by callback registration.
  // dabs-lbd or dabs-statd asks for statistics: add the application's own figures
  // (tags 0x80 and up) to the reply.
  virtual void OnStatisticsRequest(std::function<void(mp::Statistics&)> callback) = 0;
  // A shutdown is starting (clean: the instance then tells every client and waits for them;
  // emergency: it tells them and exits at once).
  virtual void OnShutdown(std::function<void(ShutdownMode)> callback) = 0;
  // dabs-lbd asks for the instance's state; the callback may change what is reported.
  virtual void OnStateRequest(std::function<void(mp::wire::DaspState&)> callback) = 0;
  // dabs-lbd hands a client to the instance (before its session opens).
  virtual void OnAddClient(std::function<void(const mp::AddClient&)> callback) = 0;

  // ---- Reports to dabs-lbd (spec 7): ERROR_REPORT, and STATE_CHANGE on every change.
  virtual void ReportError(uint16_t error, std::string text) = 0;

  // ---- Resources.
  // A lock whose timeout asks dabs-lbd for another instance with `resource_type`.
  // `timeout` 0 takes the farm's timers.lock_timeout_ms.
  virtual std::shared_ptr<ResourceLock> MakeLock(std::string name, std::string resource_type,
                                                 int capacity = 1, mp::Duration timeout = {}) = 0;
  // A write timer with the farm's timers.write_timeout_ms; its timeouts are reported.
  virtual std::shared_ptr<WriteTimer> MakeWriteTimer(std::string name) = 0;
  // An asynchronous timer on the instance's I/O thread.
  virtual std::shared_ptr<AsyncTimer> StartAsyncTimer(std::string name, mp::Duration timeout,
                                                      uint64_t client_id,
                                                      AsyncTimer::Callback callback) = 0;

  // ---- Facts.
  virtual mp::Va va() const = 0;
  virtual const std::string& app() const = 0;
  virtual mp::Statistics Snapshot() = 0;
  virtual boost::asio::io_context& io() = 0;
};

}  // namespace dabs::dasp
