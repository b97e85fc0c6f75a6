// Shutting a process down: SHUTDOWN through dabs-lbd, then signals after grace periods.
#include <csignal>

#include <spdlog/spdlog.h>

#include "supervisor_impl.h"

namespace dabs::farm {

Status Supervisor::Impl::ShutdownProcessLocked(Proc& p, ShutdownMode mode, Outbox& out) {
  const bool emergency = mode == ShutdownMode::kEmergency;
  if (p.pid == 0) {  // waiting for a restart, or failed: nothing runs
    spdlog::info("supervisor {}: {} shut down while not running", server(), p.id);
    Forget(p, out);
    return Status::Ok();
  }
  if (p.state == ProcessState::kStopping && (!emergency || p.stop_mode == mode)) {
    return Status::Ok();  // already on its way; an emergency may still overtake a clean one
  }
  p.state = ProcessState::kStopping;
  p.stop_mode = mode;
  ++p.stop_sequence;
  (void)WriteRecords(p, [](store::DaspRecord& r) { r.state = "draining"; });
  spdlog::info("supervisor {}: {} shutdown of {} (pid {})", server(),
               emergency ? "emergency" : "clean", p.id, p.pid);

  const ShutdownPolicy& policy = options_.shutdown;
  if (deps_.deliver_shutdown) {
    for (mp::Va va : p.vas) {
      out.push_back([deliver = deps_.deliver_shutdown,
                     request = ShutdownRequest{va, Control(va), mode}] { deliver(request); });
    }
    if (emergency) {
      ScheduleEscalation(p, policy.emergency_grace, SIGKILL);
    } else {
      ScheduleEscalation(p, policy.clean_grace, SIGTERM);
      ScheduleEscalation(p, policy.clean_grace + policy.term_grace, SIGKILL);
    }
    return Status::Ok();
  }
  // No way to send SHUTDOWN: the framework takes SIGTERM as a clean shutdown and a second
  // one as an emergency.
  Status s = deps_.launcher.Kill(p.pid, emergency ? SIGKILL : SIGTERM);
  if (!emergency) {
    ScheduleEscalation(p, policy.clean_grace, SIGTERM);
    ScheduleEscalation(p, policy.clean_grace + policy.term_grace, SIGKILL);
  }
  return s;
}

void Supervisor::Impl::ScheduleEscalation(const Proc& p, milliseconds after, int sig) {
  deps_.scheduler.RunAt(deps_.clock.Now() + after, [weak = weak_from_this(), id = p.id,
                                                    g = p.generation, seq = p.stop_sequence, sig] {
    if (auto self = weak.lock()) self->OnEscalationDue(id, g, seq, sig);
  });
}

void Supervisor::Impl::OnEscalationDue(const std::string& id, uint64_t generation,
                                       uint64_t sequence, int sig) {
  Event([&](Outbox&) {
    Proc* p = FindProc(id);
    if (p == nullptr || p->generation != generation || p->stop_sequence != sequence ||
        p->state != ProcessState::kStopping || p->pid == 0) {
      return;
    }
    spdlog::warn("supervisor {}: {} (pid {}) still running after its grace period: {}", server(),
                 id, p->pid, sig == SIGKILL ? "SIGKILL" : "SIGTERM");
    if (Status s = deps_.launcher.Kill(p->pid, sig); !s) {
      spdlog::error("supervisor {}: signal to {}: {}", server(), id, s.error().Message());
    }
  });
}

}  // namespace dabs::farm
