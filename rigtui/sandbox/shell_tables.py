"""What approval knows about programs, as data: wrappers that run the command in their
operands, interpreters that run inline code, options that run command lines, git's commands
and the settings it may take. The rules that read them live in rigtui.sandbox.shell_programs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rigtui.sandbox.shell_options import Options
from rigtui.sandbox.shell_options import names as _set

# --- Wrappers: programs that run the command in their operands --------------------------------


@dataclass(frozen=True)
class Wrapper:
    options: Options = Options()
    operands: int = 0  # operands before the command (timeout's duration, flock's file)
    chdir: frozenset[str] = frozenset()  # options whose value is the command's folder
    no_command: frozenset[str] = frozenset()  # options after which no command runs
    inline: frozenset[str] = frozenset()  # options whose value is a command line
    assignments: bool = False  # NAME=VALUE words before the command (env)


WRAPPERS: dict[str, Wrapper] = {
    "env": Wrapper(
        Options("uCSa", "i0v", long_value=_set("unset", "chdir", "split-string", "argv0"),
                long_flags=_set("ignore-environment", "null", "debug", "default-signal",
                                "ignore-signal", "block-signal", "list-signal-handling")),
        chdir=_set("-C", "--chdir"), inline=_set("-S", "--split-string"), assignments=True,
    ),
    "nice": Wrapper(Options("n", long_value=_set("adjustment"), numeric=True)),
    "ionice": Wrapper(
        Options("cnpPu", "t", long_value=_set("class", "classdata", "pid", "pgid", "uid"),
                long_flags=_set("ignore")),
        no_command=_set("-p", "-P", "-u", "--pid", "--pgid", "--uid"),
    ),
    "nohup": Wrapper(),
    "timeout": Wrapper(
        Options("sk", "v", long_value=_set("signal", "kill-after"),
                long_flags=_set("preserve-status", "foreground", "verbose")),
        operands=1,
    ),
    "stdbuf": Wrapper(Options("ioe", long_value=_set("input", "output", "error"))),
    "time": Wrapper(
        Options("fo", "pvaq", long_value=_set("format", "output"),
                long_flags=_set("portability", "verbose", "append", "quiet"))
    ),
    "command": Wrapper(Options("", "pvV"), no_command=_set("-v", "-V")),
    "builtin": Wrapper(),
    "exec": Wrapper(Options("a", "cl")),
    "setsid": Wrapper(Options("", "cfw", long_flags=_set("ctty", "fork", "wait"))),
    "flock": Wrapper(
        Options("wEc", "sxunoFe", long_value=_set("timeout", "wait", "conflict-exit-code",
                                                  "command"),
                long_flags=_set("shared", "exclusive", "unlock", "nonblock", "nb", "close",
                                "no-fork", "verbose")),
        operands=1, inline=_set("-c", "--command"),
    ),
    "taskset": Wrapper(
        Options("", "apc", long_flags=_set("all-tasks", "pid", "cpu-list")),
        operands=1, no_command=_set("-p", "--pid"),
    ),
    "chrt": Wrapper(
        Options("TPD", "abfiorRpmve", long_flags=_set("all-tasks", "batch", "deadline", "fifo",
                                                      "idle", "other", "rr", "reset-on-fork",
                                                      "pid", "max", "verbose")),
        operands=1, no_command=_set("-p", "--pid", "-m", "--max"),
    ),
    "strace": Wrapper(Options("abeEIoOpPsSuUX", "cCdDfFhikqrtTvVwxyYzZ")),
    "ltrace": Wrapper(Options("aAeElLnopsuxX", "bcCDfhiStTrvV")),
    "eatmydata": Wrapper(),
    "unbuffer": Wrapper(Options("", "p")),
    "fakeroot": Wrapper(Options("lsib", "uhv", long_value=_set("lib", "faked"),
                                long_flags=_set("unknown-is-real", "version", "help"))),
    "catchsegv": Wrapper(),
}  # fmt: skip

# Programs whose `run` subcommand runs the command after it (`uv run pytest`).
RUN_SUBCOMMANDS: dict[str, Options] = {
    "uv": Options("p", "q", long_value=_set("with", "with-requirements", "python", "directory",
                                            "project", "package", "extra", "group", "env-file",
                                            "index", "index-url", "extra-index-url"),
                  long_flags=_set("all-extras", "no-dev", "frozen", "locked", "isolated",
                                  "no-sync", "no-project", "active", "quiet", "verbose",
                                  "offline", "all-packages", "no-group")),
    "poetry": Options(),
    "pipenv": Options(),
    "pdm": Options(),
    "hatch": Options(),
    "rye": Options(),
}  # fmt: skip

# Files that are a process's own input: a program read from one is inline code.
STDIN_FILES = {"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"}
ANOTHER_USER = {"sudo", "doas", "su", "pkexec", "runuser", "sg", "newgrp"}
ANOTHER_ROOT = {"chroot", "unshare", "nsenter", "systemd-run", "firejail", "bwrap", "proot"}
# Programs that take a command line as a string or read commands from their input.
STRING_RUNNERS = {
    "xargs": "xargs runs a command with arguments read from its input, which cannot be read "
    "before it runs",
    "parallel": "parallel runs command lines built from its input and arguments",
    "watch": "watch runs its arguments as a shell command line",
    "script": "script runs a shell",
    "ssh": "ssh runs commands on another machine",
    "scp": "scp talks to another machine and can run a local proxy command",
    "sftp": "sftp talks to another machine and can run a local proxy command",
    "at": "at schedules commands to run later, out of sight of these checks",
    "batch": "batch schedules commands to run later, out of sight of these checks",
    "crontab": "crontab schedules commands to run later, out of sight of these checks",
    "tmux": "tmux runs commands in sessions that outlive this one",
    "screen": "screen runs commands in sessions that outlive this one",
    "coproc": "coproc runs a command fed through pipes by the shell",
    "eval": "eval runs text as shell code",
    "source": "`source` runs a file's code in this shell: what the rest of the command does "
    "cannot be read before it runs",
    ".": "`.` runs a file's code in this shell: what the rest of the command does cannot be "
    "read before it runs",
}
LINKERS = {"ln", "link", "symlink"}
# Programs that never open their arguments as files: unknown words in them are harmless.
DATA_ONLY = {"echo", "printf", "true", "false", ":", "test", "[", "expr", "sleep", "exit",
             "return", "shift", "wait", "break", "continue", "set", "shopt", "umask",
             "type", "hash", "kill", "times", "ulimit", "read", "getopts", "let"}  # fmt: skip

# --- Interpreters: programs that run code given inline or from their input --------------------


@dataclass(frozen=True)
class Interpreter:
    options: Options
    inline: frozenset[str] = frozenset()  # options that introduce inline code
    letters: str = ""  # short letters that introduce inline code in any cluster (`-lc`)
    stdin: frozenset[str] = _set("-")  # options/operands that make it read code from input
    no_stdin: frozenset[str] = frozenset()  # options after which it reads no program at all
    modules: frozenset[str] = frozenset()  # `-m NAME` values that run inline code


_VERSION = _set("-v", "-V", "--version", "-h", "--help")  # print and exit: no program read
_SHELL = Interpreter(
    Options("oO", "abcefhkmnptuvxBCEHPTlirsD", long_value=_set("rcfile", "init-file"),
            plus=True, any_long=True),
    letters="c", stdin=_set("-s", "-i", "-"), no_stdin=_set("--version", "--help"),
)  # fmt: skip
INTERPRETERS: dict[str, Interpreter] = {
    **{name: _SHELL for name in ("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash",
                                 "posh", "rbash", "lksh", "csh", "tcsh")},
    "fish": Interpreter(Options("Cc", "ilnpPv", any_long=True), letters="cC",
                        inline=_set("--command", "--init-command"), stdin=_set("-i", "-"),
                        no_stdin=_VERSION),
    "python": Interpreter(
        Options("mWXQc", "bBdEhiIOPqsSuvVxR", long_value=_set("check-hash-based-pycs"),
                any_long=True, stop="mc"),
        letters="c", stdin=_set("-i", "-"), no_stdin=_set("-V", "--version", "-h", "--help"),
        modules=_set("timeit", "code", "IPython", "idlelib", "pdb"),
    ),
    "pypy": Interpreter(Options("mWXc", "bBdEhiIOqsSuvV", any_long=True, stop="mc"), letters="c",
                        stdin=_set("-i", "-"), no_stdin=_VERSION),
    "node": Interpreter(
        Options("rC", "ichv", long_value=_set("require", "import", "loader", "conditions",
                                              "experimental-loader", "input-type", "env-file",
                                              "title", "inspect-port"), any_long=True),
        inline=_set("-e", "--eval", "-p", "--print"), stdin=_set("-i", "--interactive", "-"),
        no_stdin=_set("-v", "--version", "-h", "--help", "--test", "-c", "--check"),
    ),
    "bun": Interpreter(Options("", "", any_long=True), inline=_set("-e", "--eval", "-p", "--print"),
                       stdin=frozenset(), no_stdin=_set("--version")),
    "perl": Interpreter(
        Options("IMmeE", "acnpsStTuUvwWX", attached="il0xdDCF", any_long=True), letters="eE",
        stdin=_set("-"), no_stdin=_set("-v", "-V", "--version", "--help", "-h"),
    ),
    "ruby": Interpreter(
        Options("rICEFe", "acdlnpsSvwyh", attached="KTxW0", any_long=True), letters="e",
        stdin=_set("-"), no_stdin=_set("-v", "--version", "-h", "--help"),
    ),
    "php": Interpreter(
        Options("rRBEFfdcztS", "ahilmnqsvwHe", any_long=True),
        inline=_set("-r", "-R", "-B", "-E", "-a", "--run", "--process-code", "--process-begin",
                    "--process-end", "--interactive"),
        stdin=_set("-"), no_stdin=_set("-S", "-l", "-v", "-i", "-m", "-h", "--version"),
    ),
    "lua": Interpreter(Options("el", "ivEW"), letters="e", stdin=_set("-i", "-"),
                       no_stdin=_set("-v")),
    "luajit": Interpreter(Options("elbjO", "ivE"), letters="e", stdin=_set("-i", "-"),
                          no_stdin=_set("-v")),
    "julia": Interpreter(Options("eEJCLOp", "iqvh", any_long=True),
                         inline=_set("-e", "-E", "--eval", "--print"), stdin=_set("-i", "-"),
                         no_stdin=_VERSION),
    "Rscript": Interpreter(Options("e", "", any_long=True), inline=_set("-e"),
                           stdin=frozenset()),
    "R": Interpreter(Options("ef", "qsv", any_long=True), inline=_set("-e"),
                     no_stdin=_set("--version", "-f", "--file")),
    "tclsh": Interpreter(Options(), stdin=_set("-")),
    "expect": Interpreter(Options("cf", "bdDinNv"), letters="c", stdin=_set("-", "-i")),
    "osascript": Interpreter(Options("el", "is"), letters="e", stdin=_set("-")),
}  # fmt: skip

# Options anywhere in the arguments that make a known program run a command line or inline
# code; a name ending in `=` matches `--name=VALUE`.
INLINE_OPTIONS: dict[str, frozenset[str]] = {
    "npx": _set("-c", "--call", "--call="),
    "npm": _set("-c", "--call", "--call="),
    "pnpm": _set("-c", "--call", "--call="),
    "rsync": _set("-e", "--rsh", "--rsh=", "--rsync-path", "--rsync-path="),
    "zip": _set("-TT", "--unzip-command", "--unzip-command="),
    "gdb": _set("-ex", "--ex", "-iex", "-eval-command", "--eval-command", "--eval-command=",
                "-init-eval-command", "--init-eval-command"),
    "vim": _set("-c", "--cmd"), "vi": _set("-c", "--cmd"), "nvim": _set("-c", "--cmd"),
    "ex": _set("-c", "--cmd"), "view": _set("-c", "--cmd"),
    "tar": _set("-I", "--use-compress-program", "--use-compress-program=", "--to-command",
                "--to-command=", "--checkpoint-action", "--checkpoint-action=",
                "--info-script", "--info-script=", "--new-volume-script",
                "--new-volume-script=", "--rsh-command", "--rsh-command=", "-F"),
    "make": _set("-E", "--eval", "--eval="), "gmake": _set("-E", "--eval", "--eval="),
    "deno": _set("eval", "repl"),
    "jobs": _set("-x"),  # `jobs -x cmd` runs cmd
    "mapfile": _set("-C"), "readarray": _set("-C"),  # a callback run as shell code
    "man": _set("-P", "--pager", "--pager=", "-H", "--html", "--html="),
    "emacs": _set("--eval", "-eval", "--eval=", "--execute", "-execute", "-l", "--load"),
}  # fmt: skip

GIT_COMMANDS = {
    "add", "am", "apply", "archive", "bisect", "blame", "branch", "bundle", "cat-file",
    "check-ignore", "checkout", "cherry", "cherry-pick", "clean", "clone", "commit",
    "count-objects", "describe", "diff", "diff-files", "diff-index", "diff-tree", "fetch",
    "for-each-ref", "format-patch", "fsck", "gc", "grep", "hash-object", "help", "init", "log",
    "ls-files", "ls-remote", "ls-tree", "merge", "merge-base", "mv", "notes", "pull", "push",
    "range-diff", "rebase", "reflog", "remote", "reset", "restore", "rev-list", "rev-parse",
    "revert", "rm", "shortlog", "show", "show-ref", "sparse-checkout", "stash", "status",
    "submodule", "switch", "symbolic-ref", "tag", "update-index", "update-ref", "version",
    "worktree", "write-tree", "config", "name-rev", "stripspace", "var", "whatchanged",
}  # fmt: skip
# `git -c KEY=VALUE` keys that cannot make git run a program.
GIT_SAFE_KEYS = re.compile(
    r"(user\.(name|email)|(commit|tag)\.gpgsign|init\.defaultbranch|core\.(quotepath|autocrlf"
    r"|filemode|safecrlf)|color\.[\w.]+|advice\.\w+|pull\.(rebase|ff)|merge\.ff|diff\.noprefix"
    r"|log\.\w+|gc\.auto|fetch\.prune|rebase\.autosquash|protocol\.version)=.*",
    re.IGNORECASE,
)
GIT_GLOBAL = Options(
    "Cc", "pPh", long_value=_set("git-dir", "work-tree", "namespace", "super-prefix",
                                 "config-env", "exec-path", "list-cmds"),
    long_flags=_set("paginate", "no-pager", "no-replace-objects", "bare", "literal-pathspecs",
                    "glob-pathspecs", "noglob-pathspecs", "icase-pathspecs",
                    "no-optional-locks", "version", "help", "html-path", "man-path",
                    "info-path", "no-lazy-fetch", "no-advice"),
)  # fmt: skip


# --- Variables ----------------------------------------------------------------------------

# Variables whose value is a command (or changes how commands are read): setting one decides
# code that runs later, out of sight of these checks.
CODE_VARIABLES = {
    "PROMPT_COMMAND", "PS4", "SHELLOPTS", "BASHOPTS", "CDPATH", "EDITOR", "VISUAL",
    "PAGER", "GIT_EDITOR", "GIT_PAGER", "GIT_SEQUENCE_EDITOR", "GIT_SSH", "GIT_SSH_COMMAND",
    "GIT_PROXY_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXEC_PATH",
    "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG", "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM", "PERL5OPT", "NODE_OPTIONS", "RUBYOPT", "PYTHONINSPECT", "LESSOPEN",
    "LESSCLOSE", "MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "BROWSER", "LD_AUDIT", "MANPAGER",
    "SYSTEMD_PAGER", "FCEDIT", "HOME",
}  # fmt: skip
CODE_PREFIXES = ("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_", "BASH_FUNC_")
# Variables that change how the shell itself reads the rest of the command (word splitting):
# fine in one program's environment (`IFS= read -r line`), not in the shell's.
SHELL_VARIABLES = {"IFS"}
# Before these (and functions) an assignment stays in the shell (POSIX special builtins).
SPECIAL_BUILTINS = {":", ".", "eval", "exec", "exit", "export", "readonly", "return", "set",
                     "shift", "times", "trap", "unset", "break", "continue", "source"}  # fmt: skip
# Variables holding folder lists: each entry is checked as a path, and an unknown entry
# (other than the variable's own old value, `PATH=bin:$PATH`) needs a person.
PATH_VARIABLES = {"PATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "NODE_PATH",
                  "PERL5LIB", "RUBYLIB", "CLASSPATH", "BASH_ENV", "ENV", "PYTHONHOME",
                  "PYTHONSTARTUP", "GEM_PATH", "GEM_HOME"}  # fmt: skip
_FOLDER_PROGRAMS = {"cd", "pushd", "popd"}
