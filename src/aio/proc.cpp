// proc.cpp: proc/run: runs a program with libuv (uv_spawn) with its arguments, environment,
// working directory and stdin data, captures stdout and stderr (or calls a function on each line
// of either, in its own fiber), and returns a future of its exit status or signal; a timeout
// kills it. Nothing blocks the loop meanwhile.
#include <uv.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "aio/loop.h"
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
  uv_process_t process;
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
  bool has_in = false, has_timer = false, exited = false, timed_out = false, spawn_failed = false;
  bool timer_closed = false, process_closed = false;
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
  bool has_cwd = false;
  std::string input;
  bool has_in = false;
  uint64_t timeout_ms = 0;
  Value on_line = Value::undefined();
  Value on_err_line = Value::undefined();
};

Value option_error(VM& vm, const std::string& what) { return vm.error(std::string(kFn) + ": " + what); }

Value strings_of(VM& vm, Value list, std::vector<std::string>& out) {
  if (!proper_qlist(list) || list.is_nil()) return option_error(vm, "\"args\" must be a non-empty Q-expression of Strings");
  for (Value l = list; is_cons(l); l = cdr(l)) {
    Value s = car(l);
    if (!is_string(s)) return option_error(vm, "\"args\" must be a non-empty Q-expression of Strings, got " + readable(s) + " in it");
    std::string_view v = s.as<String>()->view();
    if (v.find('\0') != std::string_view::npos) return option_error(vm, "an argument contains a NUL byte");
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
      if (problem.is_undefined()) problem = option_error(vm, "\"env\" must be a Dict of Strings, got " + readable(k) + " " + readable(v));
      return;
    }
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
  if (!unknown.is_undefined()) return option_error(vm, "unknown option " + readable(unknown));
  Value args = option(vm, opts, "args");
  if (args.is_undefined()) return option_error(vm, "the option \"args\" is missing");
  if (Value e = strings_of(vm, args, o.args); !e.is_undefined()) return e;
  if (Value env = option(vm, opts, "env"); !env.is_undefined()) {
    if (Value e = env_of(vm, env, o); !e.is_undefined()) return e;
  }
  if (Value cwd = option(vm, opts, "cwd"); !cwd.is_undefined()) {
    if (!is_string(cwd)) return option_error(vm, "\"cwd\" must be a String, got " + std::string(type_name(cwd)));
    o.cwd.assign(cwd.as<String>()->view());
    o.has_cwd = true;
  }
  if (Value in = option(vm, opts, "stdin"); !in.is_undefined()) {
    if (!is_string(in)) return option_error(vm, "\"stdin\" must be a String, got " + std::string(type_name(in)));
    o.input.assign(in.as<String>()->view());
    o.has_in = true;
  }
  if (Value t = option(vm, opts, "timeout"); !t.is_undefined()) {
    if (!is_int(t) || int_value(t) < 1) {
      return option_error(vm, "\"timeout\" must be an Integer of 1 or more (milliseconds), got " + readable(t));
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

std::string system_message(const std::string& name, int uv_err) {
  return std::string(kFn) + ": " + name + ": " + uv_err_name(uv_err) + " (" + uv_strerror(uv_err) + ")";
}

Value result_dict(Proc* p) {
  Heap& heap = p->vm->heap();
  Value d = dict_empty(heap);
  d = dict_assoc(heap, d, make_string(heap, "status"), make_int(heap, p->status));
  d = dict_assoc(heap, d, make_string(heap, "signal"), make_int(heap, p->signal));
  d = dict_assoc(heap, d, make_string(heap, "stdout"), make_string(heap, p->out_bytes));
  return dict_assoc(heap, d, make_string(heap, "stderr"), make_string(heap, p->err_bytes));
}

// Every handle is closed: settle the future (unless the loop is closing) and free.
void finish(Proc* p) {
  Loop& loop = p->vm->loop();
  if (!loop.closing() && !p->spawn_failed) {
    loop.remove_closer(p->closer);
    Value future = loop.kept(p->future);
    if (p->timed_out) {
      loop.settle(future, false,
                  p->vm->error(std::string(kFn) + ": " + p->name + ": no exit within " + std::to_string(p->timeout_ms) +
                               " ms (killed)"));
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

void on_exit(uv_process_t* h, int64_t status, int signal) {
  auto* p = static_cast<Proc*>(h->data);
  p->exited = true;
  p->status = status;
  p->signal = signal;
  close_timer(p);
  close_handle(p, reinterpret_cast<uv_handle_t*>(h));
}

void on_timeout(uv_timer_t* t) {
  auto* p = static_cast<Proc*>(t->data);
  if (!p->exited) {
    p->timed_out = true;
    uv_process_kill(&p->process, SIGKILL);
  }
  close_timer(p);
}

// The loop is closing with the process still running: kill it and close everything.
void stop(Proc* p) {
  if (!p->exited) uv_process_kill(&p->process, SIGKILL);
  close_timer(p);
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->process));
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->out));
  close_handle(p, reinterpret_cast<uv_handle_t*>(&p->err));
  if (p->has_in) close_handle(p, reinterpret_cast<uv_handle_t*>(&p->in));
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
    // A program that exits without reading all its stdin makes the write fail with EPIPE; the
    // default SIGPIPE would kill valk instead. Ignored from the first run that writes on.
    std::signal(SIGPIPE, SIG_IGN);
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

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Value builtin_run(VM& vm, Args a) {
  Options o;
  if (Value e = parse(vm, a[0], o); !e.is_undefined()) return e;
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

  std::vector<char*> argv = c_strings(o.args);
  std::vector<char*> envp = c_strings(o.env);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = p->has_in ? uv_stdio_flags(UV_CREATE_PIPE | UV_READABLE_PIPE) : UV_IGNORE;
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&p->in);
  stdio[1].flags = uv_stdio_flags(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&p->out);
  stdio[2].flags = uv_stdio_flags(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&p->err);
  uv_process_options_t opts{};
  opts.file = argv[0];
  opts.args = argv.data();
  opts.env = o.has_env ? envp.data() : nullptr;
  opts.cwd = o.has_cwd ? o.cwd.c_str() : nullptr;
  opts.stdio = stdio;
  opts.stdio_count = 3;
  opts.exit_cb = on_exit;
  p->process.data = p;
  ++p->open_handles;  // the process handle: initialized by uv_spawn even when it fails
  int r = uv_spawn(loop.uv(), &p->process, &opts);
  if (r != 0) {
    // A missing program, a bad cwd...: nothing ran. Close what was opened; the future is unused.
    p->spawn_failed = true;
    p->future = loop.keep(Value::undefined());
    std::string message = system_message(p->name, r);
    p->exited = true;
    stop(p);
    return vm.error(message);
  }
  Value future = loop.make_future(false);
  p->future = loop.keep(future);
  if (!o.on_line.is_undefined()) p->on_line = loop.keep(o.on_line);
  if (!o.on_err_line.is_undefined()) p->on_err_line = loop.keep(o.on_err_line);
  p->closer = loop.add_closer([p] { stop(p); });
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

std::span<const BuiltinInfo> proc_builtins() { return kProc; }

}  // namespace valk
