"""The exit codes of `generator build`, `check` and `publish` — one list, for the CLI, the
build and the office's CI (docs/manual/ explains each to the office)."""

EXIT_OK = 0  # published (or checked), nothing rejected
EXIT_REJECTED = 1  # published, some rows rejected or a file unreadable
EXIT_UNUSABLE = 2  # input or configuration unusable; nothing replaced
EXIT_GUARD = 3  # the guard stopped the build; nothing replaced
EXIT_DEPLOY = 4  # deploy failed
EXIT_TAKEDOWN = 5  # a withdrawal row withheld nothing (撤下未执行)
EXIT_LOCKED = 6  # another build holds the lock
EXIT_CRASH = 70  # unexpected internal error (traceback in <work>/crash.log)
