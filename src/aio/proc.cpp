// proc.cpp: proc/run: starts a program with posix_spawn (a vfork, not a fork of valk's memory)
// with its arguments, environment, working directory and stdin data, captures stdout and stderr
// through pipes on the libuv loop (or calls a function on each line of either, in its own fiber),
// and returns a future of its exit status or signal, watched through a pidfd; a timeout kills it.
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "aio/loop.h"
#include "aio/sigpipe.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

extern char** environ;

namespace valk {

namespace {

constexpr const char* kFn = "proc/run";
constexpr size_t kReadChunk = 65536;

// One running process: its handles (each closed once; the last close frees it), what it has
// written, and the future it settles.
struct Proc {
  uv_poll_t exit_watch;  // on the pidfd, readable once the program has exited
  uv_pipe_t in, out, err;
  uv_timer_t timer;
  uv_write_t write_req;
  VM* vm = nullptr;
  uint32_t future = 0;
  uint32_t on_line = UINT32_MAX;  // kept Function called on each stdout line, or none
  uint32_t on_err_line = UINT32_MAX;  // the same for stderr ("err-lines")
  uint32_t closer = UINT32_MAX;
  std::string name;               // the program, for messages
  std::string input;
  std::string out_bytes, err_bytes;
  char out_buf[kReadChunk], err_buf[kReadChunk];
  int open_handles = 0;
  int pidfd = -1;
  bool has_in = false, has_timer = false, exited = false, timed_out = false, spawn_failed = false;
  bool timer_closed = false, watching = false;
  int wait_error = 0;  // waitid's errno when the exit status could not be read (never seen)
  int64_t status = 0;
  int signal = 0;
  uint64_t timeout_ms = 0;
};

// ---- options ---------------------------------------------------------------------------------------

struct Options {
  std::vector<std::string> args;
  std::vector<std::string> env;  // NAME=value, the inherited ones overridden
  bool has_env = false;
  std::string cwd;
  Value cwd_given = Value::undefined();  // the "cwd" String, for messages; undefined: none
  std::string input;
  bool has_in = false;
  uint64_t timeout_ms = 0;
  Value on_line = Value::undefined();
  Value on_err_line = Value::undefined();
};

Value option_error(VM& vm, const std::string& what) { return vm.error(std::string(kFn) + ": " + what); }

// An error when `v` has a NUL byte, else undefined: the program gets its strings as C strings,
// which would end there, silently cut short. `what` names the string: "an argument".
Value nul_error(VM& vm, std::string_view v, const std::string& what) {
  if (v.find('\0') == std::string_view::npos) return Value::undefined();
  return option_error(vm, what + " contains a NUL byte");
}

Value strings_of(VM& vm, Value list, std::vector<std::string>& out) {
  if (!proper_qlist(list) || list.is_nil()) return option_error(vm, "\"args\" must be a non-empty Q-expression of Strings");
  for (Value l = list; is_cons(l); l = cdr(l)) {
    Value s = car(l);
    if (!is_string(s))
      return option_error(vm, "\"args\" must be a non-empty Q-expression of Strings, got " +
                                  readable_for_message(s) + " in it");
    std::string_view v = s.as<String>()->view();
    if (Value e = nul_error(vm, v, "an argument"); !e.is_undefined()) return e;
    out.emplace_back(v);
  }
  return Value::undefined();
}

Value env_of(VM& vm, Value dict, Options& o) {
  if (!is_dict(dict)) return option_error(vm, "\"env\" must be a Dict of Strings, got " + std::string(type_name(dict)));
  std::vector<std::pair<std::string, std::string>> set;
  Value problem = Value::undefined();
  dict_for_each(dict, [&](Value k, Value v) {
    if (!is_string(k) || !is_string(v)) {
      if (problem.is_undefined())
        problem = option_error(vm, "\"env\" must be a Dict of Strings, got " + readable_for_message(k) + " " +
                                       readable_for_message(v));
      return;
    }
    std::string_view name = k.as<String>()->view();
    if (problem.is_undefined()) problem = nul_error(vm, name, "an \"env\" name");
    // "A=B" would set A to "B=" followed by the value, and "" no variable at all.
    if (problem.is_undefined() && (name.empty() || name.find('=') != std::string_view::npos))
      problem = option_error(vm, "an \"env\" name must be non-empty and without '=', got " + readable_for_message(k));
    if (problem.is_undefined()) problem = nul_error(vm, v.as<String>()->view(), "an \"env\" value");
    set.emplace_back(std::string(k.as<String>()->view()), std::string(v.as<String>()->view()));
  });
  if (!problem.is_undefined()) return problem;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (auto& [k, v] : set) overridden |= k == name;
    if (!overridden) o.env.emplace_back(entry);
  }
  for (auto& [k, v] : set) o.env.push_back(k + "=" + v);
  o.has_env = true;
  return Value::undefined();
}

Value option(VM& vm, Value opts, const char* key) { return dict_get(opts, make_string(vm.heap(), key)); }

// The one option every run needs and the optional ones; an unknown key is an error (a typo
// would otherwise be ignored silently).
Value parse_dict(VM& vm, Value opts, Options& o) {
  static const char* const kKnown[] = {"args", "env", "cwd", "stdin", "timeout", "lines", "err-lines"};
  Value unknown = Value::undefined();
  dict_for_each(opts, [&](Value k, Value) {
    bool known = false;
    for (const char* name : kKnown) known |= is_string(k) && k.as<String>()->view() == name;
    if (!known && unknown.is_undefined()) unknown = k;
  });
  if (!unknown.is_undefined()) return option_error(vm, "unknown option " + readable_for_message(unknown));
  Value args = option(vm, opts, "args");
  if (args.is_undefined()) return option_error(vm, "the option \"args\" is missing");
  if (Value e = strings_of(vm, args, o.args); !e.is_undefined()) return e;
  if (Value env = option(vm, opts, "env"); !env.is_undefined()) {
    if (Value e = env_of(vm, env, o); !e.is_undefined()) return e;
  }
  if (Value cwd = option(vm, opts, "cwd"); !cwd.is_undefined()) {
    if (!is_string(cwd)) return option_error(vm, "\"cwd\" must be a String, got " + std::string(type_name(cwd)));
    if (Value e = nul_error(vm, cwd.as<String>()->view(), "\"cwd\""); !e.is_undefined()) return e;
    o.cwd.assign(cwd.as<String>()->view());
    o.cwd_given = cwd;
  }
  if (Value in = option(vm, opts, "stdin"); !in.is_undefined()) {
    if (!is_string(in)) return option_error(vm, "\"stdin\" must be a String, got " + std::string(type_name(in)));
    o.input.assign(in.as<String>()->view());
    o.has_in = true;
  }
  if (Value t = option(vm, opts, "timeout"); !t.is_undefined()) {
    if (!is_int(t) || int_value(t) < 1) {
      return option_error(
          vm, "\"timeout\" must be an Integer of 1 or more (milliseconds), got " + readable_for_message(t));
    }
    o.timeout_ms = uint64_t(int_value(t));
  }
  if (Value f = option(vm, opts, "lines"); !f.is_undefined()) {
    if (!is_function(f)) return option_error(vm, "\"lines\" must be a Function, got " + std::string(type_name(f)));
    o.on_line = f;
  }
  if (Value f = option(vm, opts, "err-lines"); !f.is_undefined()) {
    if (!is_function(f)) return option_error(vm, "\"err-lines\" must be a Function, got " + std::string(type_name(f)));
    o.on_err_line = f;
  }
  return Value::undefined();
}

Value parse(VM& vm, Value opts, Options& o) {
  if (is_dict(opts)) return parse_dict(vm, opts, o);
  if (is_qexpr(opts)) return strings_of(vm, opts, o.args);
  return arg_error(vm, kFn, 0, "a Dict or a Q-expression of Strings", opts);
}

// ---- the process -------------------------------------------------------------------------------------

// `err` is a libuv error (a negative errno); one libuv has no name for (ECHILD) is named by glibc.
std::string system_message(const std::string& name, int err) {
  std::string prefix = std::string(kFn) + ": " + name + ": ";
  if (std::string_view(uv_err_name(err)).starts_with("Unknown")) {
    const char* known = strerrorname_np(-err);
    return prefix + (known ? known : std::to_string(-err)) + " (" + std::strerror(-err) + ")";
  }
  return prefix + uv_err_name(err) + " (" + uv_strerror(err) + ")";
}

Value result_dict(Proc* p) {
  Heap& heap = p->vm->heap();
  Value d = dict_empty(heap);
  d = dict_assoc(heap, d, make_string(heap, "status"), make_int(heap, p->status));
  d = dict_assoc(heap, d, make_string(heap, "signal"), make_int(heap, p->signal));
  d = dict_assoc(heap, d, make_string(heap, "stdout"), make_string(heap, p->out_bytes));
  return dict_assoc(heap, d, make_string(heap, "stderr"), make_string(heap, p->err_bytes));
}

Value rejection(Proc* p) {
  if (p->wait_error != 0) return p->vm->error(system_message(p->name, -p->wait_error));
  return p->vm->error(std::string(kFn) + ": " + p->name + ": no exit within " + std::to_string(p->timeout_ms) +
                      " ms (killed)");
}

// Every handle is closed: settle the future (unless the loop is closing) and free.
void finish(Proc* p) {
  Loop& loop = p->vm->loop();
  if (!loop.closing() && !p->spawn_failed) {
    loop.remove_closer(p->closer);
    Value future = loop.kept(p->future);
    if (p->timed_out || p->wait_error != 0) {
      loop.settle(future, false, rejection(p));
    } else {
      loop.settle(future, true, result_dict(p));
    }
  }
  if (!loop.closing() || p->spawn_failed) {
    loop.release(p->future);
    if (p->on_line != UINT32_MAX) loop.release(p->on_line);
    if (p->on_err_line != UINT32_MAX) loop.release(p->on_err_line);
  }
  delete p;
}

void on_closed(uv_handle_t* h) {
  auto* p = static_cast<Proc*>(h->data);
  if (--p->open_handles == 0) finish(p);
}

void close_handle(Proc* p, uv_handle_t* h) {
  if (!uv_is_closing(h)) uv_close(h, on_closed);
}

void close_timer(Proc* p) {
  if (!p->has_timer || p->timer_closed) return;
  p->timer_closed = true;
  uv_timer_stop(&p->timer);
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->timer));
}

// The pidfd outlives its poll handle: closed once libuv no longer watches it.
void close_watch(Proc* p) {
  if (!p->watching) return;
  p->watching = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->exit_watch), [](uv_handle_t* h) {
    auto* proc = static_cast<Proc*>(h->data);
    close(proc->pidfd);
    on_closed(h);
  });
}

// The pidfd calls by number: glibc 2.36's <sys/pidfd.h> declares them without C linkage.
int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }

// By the pidfd, not the pid: never another process that took the pid of a reaped one.
void kill_program(Proc* p) { syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, nullptr, 0); }

// Each complete line of `chunk` (after what was left over in `bytes`) goes to the kept function
// `fn`, in a fiber.
void emit_lines(Proc* p, std::string& bytes, uint32_t fn, std::string_view chunk, bool at_end) {
  bytes.append(chunk);
  Loop& loop = p->vm->loop();
  size_t start = 0;
  for (size_t nl; (nl = bytes.find('\n', start)) != std::string::npos; start = nl + 1) {
    Value line = make_string(p->vm->heap(), std::string_view(bytes).substr(start, nl - start));
    loop.spawn(loop.kept(fn), Args{&line, 1});
  }
  bytes.erase(0, start);
  if (at_end && !bytes.empty()) {
    Value line = make_string(p->vm->heap(), bytes);
    loop.spawn(loop.kept(fn), Args{&line, 1});
    bytes.clear();
  }
}

void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* p = static_cast<Proc*>(s->data);
  bool is_out = s == reinterpret_cast<uv_stream_t*>(&p->out);
  std::string& bytes = is_out ? p->out_bytes : p->err_bytes;
  uint32_t fn = is_out ? p->on_line : p->on_err_line;
  bool lines = fn != UINT32_MAX && !p->vm->loop().closing();
  if (n > 0) {
    if (lines) {
      emit_lines(p, bytes, fn, std::string_view(buf->base, size_t(n)), false);
    } else {
      bytes.append(buf->base, size_t(n));
    }
  } else if (n < 0) {  // UV_EOF, or an error: the pipe is done either way
    if (lines) emit_lines(p, bytes, fn, {}, true);
    close_handle(p, reinterpret_cast<uv_handle_t*>(s));
  }
}

void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* p = static_cast<Proc*>(h->data);
  char* base = h == reinterpret_cast<uv_handle_t*>(&p->out) ? p->out_buf : p->err_buf;
  *buf = uv_buf_init(base, kReadChunk);
}

// The pidfd is readable: the program has exited. Its status is read, which also reaps it.
void on_exit_ready(uv_poll_t* h, int, int) {
  auto* p = static_cast<Proc*>(h->data);
  siginfo_t info{};
  if (waitid(P_PIDFD, id_t(p->pidfd), &info, WEXITED | WNOHANG) != 0) {
    p->wait_error = errno;
  } else if (info.si_pid == 0) {
    return;  // not exited after all: go on watching
  } else if (info.si_code == CLD_EXITED) {
    p->status = info.si_status;
  } else {
    p->signal = info.si_status;  // CLD_KILLED or CLD_DUMPED
  }
  p->exited = true;
  close_timer(p);
  close_watch(p);
}

void on_timeout(uv_timer_t* t) {
  auto* p = static_cast<Proc*>(t->data);
  if (!p->exited) {
    p->timed_out = true;
    kill_program(p);
  }
  close_timer(p);
}

// Kills the program (if it runs) and closes its pipes: no output is read after, and a child it
// left holding them keeps nothing alive. Its exit watch, if open, still reaps it.
void kill_and_close_pipes(Proc* p) {
  if (!p->exited) kill_program(p);
  close_timer(p);
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->out));
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->err));
  if (p->has_in) close_handle(p, reinterpret_cast<uv_handle_t*>(&p->in));
}

// The loop is closing with the process still running: kill it and close everything.
void stop(Proc* p) {
  kill_and_close_pipes(p);
  close_watch(p);
}

void init_pipe(Proc* p, uv_pipe_t* pipe) {
  uv_pipe_init(p->vm->loop().uv(), pipe, 0);
  pipe->data = p;
  ++p->open_handles;
}

void start_io(Proc* p) {
  uv_read_start(reinterpret_cast<uv_stream_t*>(&p->out), on_alloc, on_read);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&p->err), on_alloc, on_read);
  if (p->has_in) {
    // A program that exits without reading all its stdin must not end valk.
    ignore_sigpipe();
    uv_buf_t buf = uv_buf_init(p->input.data(), unsigned(p->input.size()));
    p->write_req.data = p;
    // Written, or failed (the program exited without reading it all): stdin is closed either way.
    int r = uv_write(&p->write_req, reinterpret_cast<uv_stream_t*>(&p->in), &buf, 1, [](uv_write_t* w, int) {
      auto* proc = static_cast<Proc*>(w->data);
      close_handle(proc, reinterpret_cast<uv_handle_t*>(&proc->in));
    });
    if (r != 0) close_handle(p, reinterpret_cast<uv_handle_t*>(&p->in));
  }
  if (p->timeout_ms > 0) {
    p->has_timer = true;
    uv_timer_init(p->vm->loop().uv(), &p->timer);
    p->timer.data = p;
    ++p->open_handles;
    uv_update_time(p->vm->loop().uv());  // from now, not from the loop's last turn (loop.cpp)
    uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
  }
}

// ---- starting the program ----------------------------------------------------------------------

// The descriptors of one start: each pipe's [0] read end and [1] write end, and the working
// directory; -1 once handed on. Whatever is left is closed when the start is over.
struct Fds {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int cwd = -1;
  Fds() = default;
  Fds(const Fds&) = delete;
  Fds& operator=(const Fds&) = delete;
  ~Fds() {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1], &cwd}) drop(*fd);
  }
  static void drop(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  // Once the child has them: valk must not hold a write end, or the pipe would never end.
  void drop_child_ends() {
    drop(in[0]);
    drop(out[1]);
    drop(err[1]);
    drop(cwd);
  }
};

// A pipe whose ends are close-on-exec (a program another thread starts meanwhile must not
// inherit them) and above 2, so that no dup2 onto the child's 0, 1 or 2 overwrites one of them
// (valk may have been started with a standard descriptor closed). Returns 0 or an errno.
int make_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return errno;
  for (int i = 0; i < 2; ++i) {
    if (fds[i] > 2) continue;
    int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return errno;
    close(fds[i]);
    fds[i] = moved;
  }
  return 0;
}

// How every child starts: every signal at its default action (valk ignores SIGPIPE) and none
// blocked, as a fresh program expects; in its working directory; the pipes as its 0, 1 and 2
// (stdin is /dev/null without "stdin").
struct Launch {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  std::vector<char*> argv;
  char** envp = nullptr;
  Launch() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  Launch(const Launch&) = delete;
  Launch& operator=(const Launch&) = delete;
  ~Launch() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

int prepare(Launch& l, const Fds& f) {
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  if (int r = posix_spawnattr_setsigdefault(&l.attr, &all)) return r;
  if (int r = posix_spawnattr_setsigmask(&l.attr, &none)) return r;
  if (int r = posix_spawnattr_setflags(&l.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) return r;
  // First, while the directory's descriptor cannot have been replaced by a dup2 below.
  if (f.cwd >= 0) {
    if (int r = posix_spawn_file_actions_addfchdir_np(&l.actions, f.cwd)) return r;
  }
  int r = f.in[0] >= 0 ? posix_spawn_file_actions_adddup2(&l.actions, f.in[0], 0)
                       : posix_spawn_file_actions_addopen(&l.actions, 0, "/dev/null", O_RDONLY, 0);
  if (r != 0) return r;
  if (int e = posix_spawn_file_actions_adddup2(&l.actions, f.out[1], 1)) return e;
  return posix_spawn_file_actions_adddup2(&l.actions, f.err[1], 2);
}

// What execvp tries for a `name` without a '/': the name in each directory of PATH, in order: the
// child's PATH ("env" may set it, which posix_spawnp would not see), glibc's default when unset;
// an empty entry is the working directory.
std::vector<std::string> candidates(const Options& o, const std::string& name) {
  const char* path = nullptr;
  if (o.has_env) {
    for (const std::string& e : o.env) {
      if (e.starts_with("PATH=")) path = e.c_str() + 5;
    }
  } else {
    path = getenv("PATH");
  }
  std::string_view rest = path ? path : "/bin:/usr/bin";
  std::vector<std::string> out;
  for (;;) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    out.push_back(dir.empty() ? name : std::string(dir) + "/" + name);
    if (colon == std::string_view::npos) return out;
    rest.remove_prefix(colon + 1);
  }
}

// posix_spawn of one file; one that is executable but no program (no "#!") is run by /bin/sh, as
// execvp does. Returns 0 or an errno.
int spawn_file(const std::string& file, Launch& l, pid_t* pid) {
  int r = posix_spawn(pid, file.c_str(), &l.actions, &l.attr, l.argv.data(), l.envp);
  if (r != ENOEXEC) return r;
  std::vector<char*> sh{const_cast<char*>("/bin/sh"), const_cast<char*>(file.c_str())};
  sh.insert(sh.end(), l.argv.begin() + 1, l.argv.end());
  return posix_spawn(pid, "/bin/sh", &l.actions, &l.attr, sh.data(), l.envp);
}

// execvp's search with posix_spawn: a name with a '/' is the file; else the first candidate that
// starts, past one that is missing (or denied) to the next; the failure of the last, EACCES when
// one was denied.
int spawn_program(const Options& o, Launch& l, pid_t* pid) {
  const std::string& name = o.args[0];
  if (name.empty()) return ENOENT;
  if (name.find('/') != std::string::npos) return spawn_file(name, l, pid);
  bool denied = false;
  for (const std::string& file : candidates(o, name)) {
    // A missing absolute path fails in the child just as here: skipped without a spawn.
    if (file[0] == '/' && access(file.c_str(), F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR)) continue;
    int r = spawn_file(file, l, pid);
    if (r == 0) return 0;
    if (r == EACCES) {
      denied = true;
    } else if (r != ENOENT && r != ENOTDIR && r != ESTALE && r != ENODEV && r != ETIMEDOUT) {
      return r;
    }
  }
  return denied ? EACCES : ENOENT;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The working directory, opened before the program is started so that a bad one fails as chdir
// would, before any program is tried, and the message can name the directory rather than the
// program. Returns 0 or an errno.
int open_cwd(const Options& o, Fds& f) {
  if (o.cwd_given.is_undefined()) return 0;
  f.cwd = open(o.cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return f.cwd < 0 ? errno : 0;
}

// Starts the program with its pipes in `f` (valk's ends stay there). Returns 0 or an errno.
int start(Options& o, Fds& f, pid_t* pid) {
  if (o.has_in) {
    if (int r = make_pipe(f.in)) return r;
  }
  if (int r = make_pipe(f.out)) return r;
  if (int r = make_pipe(f.err)) return r;
  Launch l;
  if (int r = prepare(l, f)) return r;
  l.argv = c_strings(o.args);
  std::vector<char*> envp;
  if (o.has_env) envp = c_strings(o.env);
  l.envp = o.has_env ? envp.data() : environ;
  int r = spawn_program(o, l, pid);
  f.drop_child_ends();
  return r;
}

// A program started earlier that cannot be watched after all: killed and reaped at once.
void abandon(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// valk's ends of the pipes and the pidfd go to libuv handles (the pipes' are initialized).
// Returns 0 or a libuv error; what is open then is closed by stop().
int adopt(Proc* p, Fds& f, int pidfd) {
  p->pidfd = pidfd;
  if (int r = uv_poll_init(p->vm->loop().uv(), &p->exit_watch, pidfd); r != 0) {
    close(pidfd);
    return r;
  }
  p->exit_watch.data = p;
  p->watching = true;
  ++p->open_handles;
  auto open_end = [](uv_pipe_t* pipe, int& fd) {
    int r = uv_pipe_open(pipe, fd);
    if (r == 0) fd = -1;
    return r;
  };
  if (int r = open_end(&p->out, f.out[0])) return r;
  if (int r = open_end(&p->err, f.err[0])) return r;
  if (p->has_in) {
    if (int r = open_end(&p->in, f.in[1])) return r;
  }
  return uv_poll_start(&p->exit_watch, UV_READABLE, on_exit_ready);
}

// A SIGCHLD ignored by whoever started valk (or by valk's own code since) would make the kernel
// reap the children before waitid could read their status: set back to the default at each run
// (libuv's uv_spawn set a handler of its own instead).
void keep_children_waitable() {
  struct sigaction sa{};
  if (sigaction(SIGCHLD, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) std::signal(SIGCHLD, SIG_DFL);
}

Value builtin_run(VM& vm, Args a) {
  Options o;
  if (Value e = parse(vm, a[0], o); !e.is_undefined()) return e;
  keep_children_waitable();
  Fds f;
  pid_t pid = 0;
  // A bad cwd, a missing program...: nothing ran.
  if (int r = open_cwd(o, f)) {
    return vm.error(system_message("cannot change to directory " + readable_for_message(o.cwd_given), -r));
  }
  if (int r = start(o, f, &pid)) return vm.error(system_message(o.args[0], -r));
  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    // Its exit could not be watched (ENOSYS before Linux 5.3, EMFILE): it is stopped.
    int r = errno;
    abandon(pid);
    return vm.error(system_message(o.args[0], -r));
  }
  auto* p = new Proc;
  p->vm = &vm;
  p->name = o.args[0];
  p->input = std::move(o.input);
  p->has_in = o.has_in;
  p->timeout_ms = o.timeout_ms;
  Loop& loop = vm.loop();
  init_pipe(p, &p->out);
  init_pipe(p, &p->err);
  if (p->has_in) init_pipe(p, &p->in);
  if (int r = adopt(p, f, pidfd)) {
    // Its handles could not be set up: stopped, what was opened closed; the future is unused.
    abandon(pid);
    p->spawn_failed = true;
    p->exited = true;
    p->future = loop.keep(Value::undefined());
    stop(p);
    return vm.error(system_message(o.args[0], r));
  }
  Value future = loop.make_future(false);
  p->future = loop.keep(future);
  if (!o.on_line.is_undefined()) p->on_line = loop.keep(o.on_line);
  if (!o.on_err_line.is_undefined()) p->on_err_line = loop.keep(o.on_err_line);
  p->closer = loop.add_closer([p] { stop(p); });
  // Cancelled (the future is rejected already): no line is given after; finish() frees it.
  loop.on_cancel(future, [p] { kill_and_close_pipes(p); });
  start_io(p);
  return future;
}

const BuiltinInfo kProc[] = {
    {"proc/run", "options",
     "Runs a program; returns a future of a Dict with \"status\" (the exit status), \"signal\" (the signal "
     "that killed it, or 0), \"stdout\" and \"stderr\" (Strings). options is a Q-expression of Strings (the "
     "program, found on PATH, then its arguments) or a Dict with \"args\" (that list) and optionally \"env\" "
     "(a Dict of Strings added to the environment), \"cwd\", \"stdin\" (a String written to it), \"timeout\" "
     "(milliseconds; past it the program is killed and the future rejected), \"lines\" (a Function called "
     "on each line of stdout, in its own fiber, instead of capturing it) and \"err-lines\" (the same for "
     "stderr). A missing program is an error.",
     1, 1, 0, 0, builtin_run, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> proc_builtins{kProc};

}  // namespace valk
