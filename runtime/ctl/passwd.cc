// dabsctl passwd: reads a password (twice and without echo from a terminal, else one line of
// standard input) and prints its hash for users[].password_hash (dabs/auth/password.h).
#include <iostream>

#include <openssl/crypto.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <dabs/auth/password.h>

#include "commands.h"

namespace dabs::ctl {

namespace {

termios g_saved_terminal;

// Ctrl-C at the prompt must not leave the terminal without echo.
extern "C" void RestoreTerminalAndExit(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);
  ::_exit(128 + signal);
}

// One line from the terminal with echo off; nullopt at end of input.
std::optional<std::string> Prompt(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios quiet = g_saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  std::fputs("\n", stderr);
  if (!got) return std::nullopt;
  return line;
}

Result<std::string> ReadPassword(const std::string& user) {
  if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &g_saved_terminal) == 0) {
    ::signal(SIGINT, RestoreTerminalAndExit);
    ::signal(SIGTERM, RestoreTerminalAndExit);
    const std::string who = user.empty() ? "" : " for " + user;
    auto first = Prompt(("New password" + who + ": ").c_str());
    auto second = first ? Prompt("Again: ") : std::nullopt;
    if (!first || !second) return Failure("no password given");
    const bool same = *first == *second;
    OPENSSL_cleanse(second->data(), second->size());
    if (!same) return Failure("the two passwords differ; nothing printed");
    return std::move(*first);
  }
  std::string line;
  if (!std::getline(std::cin, line)) return Failure("no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int RunPasswd(const Globals& g, const std::string& user) {
  auto password = ReadPassword(user);
  if (!password) return Fail(password.error());
  if (password->empty()) return Fail("an empty password is refused");
  auto hash = auth::HashPassword(*password);
  OPENSSL_cleanse(password->data(), password->size());
  if (!hash) return Fail(hash.error().Message());
  if (g.json) {
    PrintJson({{"user", user.empty() ? json(nullptr) : json(user)}, {"password_hash", *hash}});
    return 0;
  }
  std::printf("%s\n", hash->c_str());
  if (!user.empty() && ::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "(the value of users[%s].password_hash in the farm file)\n", user.c_str());
  }
  return 0;
}

}  // namespace dabs::ctl
