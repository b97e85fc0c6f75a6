#include "command.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dabs::farm {

Status RunCommand(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv)
    line += (line.empty() ? "" : " ") + a;
  auto fail = [&](const std::string& why) {
    return Error{std::error_code(EIO, std::system_category()), line + ": " + why};
  };
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fail(std::strerror(errno));
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(err_pipe[0]);
    return fail(std::strerror(rc));
  }
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(err_pipe[0], buf, sizeof buf)) > 0;) {
    if (err.size() < 4096) err.append(buf, static_cast<size_t>(n));
  }
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
    err.pop_back();
  return fail(err.empty() ? "exit status " + std::to_string(WEXITSTATUS(status)) : err);
}

}  // namespace dabs::farm
