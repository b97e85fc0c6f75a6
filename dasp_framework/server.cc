// The author-facing handles: Request, Responder, Session.
#include <dabs/dasp/server.h>

#include "instance_impl.h"

namespace dabs::dasp {

namespace {
Error Answered() { return Error{make_error_code(mp::Errc::kRejected), "this request was answered already"}; }
}  // namespace

Request::Request(std::shared_ptr<ReplyTarget> target, const mp::Message& message)
    : target_(std::move(target)), message_(message) {}

uint16_t Request::command() const { return message_.header.command; }
std::span<const uint8_t> Request::payload() const { return message_.payload; }
uint32_t Request::latency_ms() const { return message_.latency.millis; }
bool Request::replied() const { return target_->replied.load(); }

Status Request::Reply(std::vector<uint8_t> payload) {
  if (target_->taken) return Answered();
  return target_->instance->Reply(*target_, std::move(payload));
}

Status Request::Refuse(mp::Errc error, std::string text) {
  if (target_->taken) return Answered();
  return target_->instance->Refuse(*target_, error, std::move(text));
}

Responder Request::TakeResponder() {
  target_->taken = true;
  return Responder(target_);
}

Status Responder::Reply(std::vector<uint8_t> payload) const {
  if (!target_) return Answered();
  return target_->instance->Reply(*target_, std::move(payload));
}

Status Responder::Refuse(mp::Errc error, std::string text) const {
  if (!target_) return Answered();
  return target_->instance->Refuse(*target_, error, std::move(text));
}

uint8_t Session::id() const { return impl_->id; }
mp::Va Session::client_va() const { return impl_->client_va; }
const mp::Endpoint& Session::client() const { return impl_->client; }
const std::string& Session::client_id() const { return impl_->client_id; }
uint32_t Session::client_caps() const { return impl_->caps; }
bool Session::open() const { return impl_->open.load(); }
std::any& Session::state() { return impl_->state; }

void Session::Send(uint16_t command, std::vector<uint8_t> payload, mp::SendOptions options,
                   mp::SendCallback done) {
  impl_->instance->node->Send(impl_->client, impl_->id, command, impl_->client_va, std::move(payload),
                              options, std::move(done));
}

void Session::Close() {
  auto s = impl_;
  auto* instance = impl_->instance;
  instance->dispatcher->Post(s->mailbox, [instance, s] { instance->CloseSession(s, true); }, false);
}

}  // namespace dabs::dasp
