// What the daemons create under a server's state directory is theirs alone: directories
// 0700, files 0600. Other local users must not read the store, the DASPs' logs or dabs-farm's
// state, nor reach the local sockets (mp binds those 0600 itself). Every daemon, the store,
// the supervisor and dabs-farm go through these helpers so that they agree.
//
// Thread-safe (no shared state). Not atomic against another process changing the same
// paths meanwhile; in a directory only we can reach, nobody else can.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

#include <dabs/mp/result.h>

namespace dabs::store {

inline constexpr mode_t kPrivateDirectoryMode = 0700;
inline constexpr mode_t kPrivateFileMode = 0600;

// What EnsurePrivateDirectory found and did, for the caller's log.
struct PrivateDirectory {
  bool created = false;       // it did not exist
  mode_t tightened_from = 0;  // its mode before group and other access were taken away; 0: none
};

// Makes `dir` a directory only this process's user (and root) can reach. A missing one, and
// any missing parent, is created 0700. An existing one that group or others can reach is
// tightened to 0700 when it is evidently dabs's own: owned by this user, not sticky, and
// empty, holding `marker` (what dabs keeps there: "store" in a server's directory), or inside
// a private directory of this user's (DIR/logs). Anything else is refused with
// kUnsafePermissions and a one-line error naming the chmod to run, since changing a shared
// directory (/tmp, /var/lib, a home) would break other users.
Result<PrivateDirectory> EnsurePrivateDirectory(const std::filesystem::path& dir,
                                                std::string_view marker);

// A daemon's start: makes a server's state directory private (EnsurePrivateDirectory, with
// the store as what marks it dabs's). Returns a line for the daemon's log when it had to take
// group or other access away (empty when not), or the error to stop on.
Result<std::string> PrepareStateDirectory(const std::filesystem::path& dir);

// Takes group and other access away from an existing file of this user's (files an older
// build created 0644). A missing file, or another user's, is left alone.
Status TightenPrivateFile(const std::filesystem::path& file);

// Replaces `file` with `text` atomically (a temporary beside it, renamed over it), mode 0600.
Status WritePrivateFile(const std::filesystem::path& file, std::string_view text);

}  // namespace dabs::store
