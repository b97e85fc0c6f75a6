#include <boost/asio/steady_timer.hpp>

#include <dabs/farm/task_scheduler.h>

namespace dabs::farm {

void AsioTaskScheduler::RunAt(mp::TimePoint when, std::function<void()> task) {
  // The timer lives in its own handler: nothing here needs to outlive RunAt.
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, when);
  timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
    if (!ec) task();
  });
}

}  // namespace dabs::farm
