// fs.cpp: the fs/ builtins: whole files (read, write, append), files by chunks (open, read-chunk,
// write-chunk, close), directories (list, mkdir), stat, remove, rename, tempfile. Each returns a
// future at once; the system calls run on libuv's thread pool (as uv_fs_* does), so the loop and
// every other fiber go on meanwhile. Errors name the path and the system's reason (ENOENT ...).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "aio/loop.h"
#include "config/limits.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

enum class FsOp { kRead, kWrite, kAppend, kList, kStat, kMkdir, kRemove, kRename, kTempfile, kOpen, kReadChunk,
                  kWriteChunk, kClose };

// One request: its inputs (copied out of the heap: the worker thread must not touch Valk values),
// its outputs, and the future it settles.
struct FsJob {
  uv_work_t work;
  VM* vm;
  uint32_t future;  // kept in the loop
  const char* fn;   // the builtin's name, for errors
  FsOp op;
  std::string path, path2, data;
  int fd = -1;
  int flags = 0;
  size_t count = 0;
  // outputs
  int err = 0;  // errno, 0 on success
  std::string bytes;
  std::vector<std::string> names;
  struct stat st {};
};

// ---- the worker side: plain system calls, no Valk values ------------------------------------------

int read_all(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    out.append(buf, size_t(n));
  }
}

int write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += size_t(n);
  }
  return 0;
}

int read_file(FsJob& j) {
  int fd = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = read_all(fd, j.bytes);
  ::close(fd);
  return err;
}

int write_file(FsJob& j, int mode) {
  int fd = ::open(j.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode, 0666);
  if (fd < 0) return errno;
  int err = write_all(fd, j.data);
  if (::close(fd) != 0 && !err) err = errno;
  return err;
}

int list_dir(FsJob& j) {
  DIR* d = ::opendir(j.path.c_str());
  if (!d) return errno;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") j.names.push_back(name);
  }
  int err = errno;
  ::closedir(d);
  std::sort(j.names.begin(), j.names.end());
  return err;
}

// A file, or an empty directory.
int remove_path(FsJob& j) {
  if (::unlink(j.path.c_str()) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return errno;
  return ::rmdir(j.path.c_str()) == 0 ? 0 : errno;
}

int make_temp(FsJob& j) {
  std::string pattern = j.path + "XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) return errno;
  ::close(fd);
  j.bytes = pattern;
  return 0;
}

int read_chunk(FsJob& j) {
  j.bytes.resize(j.count);
  for (;;) {
    ssize_t n = ::read(j.fd, j.bytes.data(), j.count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    j.bytes.resize(size_t(n));
    return 0;
  }
}

int run_op(FsJob& j) {
  switch (j.op) {
    case FsOp::kRead: return read_file(j);
    case FsOp::kWrite: return write_file(j, O_TRUNC);
    case FsOp::kAppend: return write_file(j, O_APPEND);
    case FsOp::kList: return list_dir(j);
    case FsOp::kStat: return ::stat(j.path.c_str(), &j.st) == 0 ? 0 : errno;
    case FsOp::kMkdir: return ::mkdir(j.path.c_str(), 0777) == 0 ? 0 : errno;
    case FsOp::kRemove: return remove_path(j);
    case FsOp::kRename: return ::rename(j.path.c_str(), j.path2.c_str()) == 0 ? 0 : errno;
    case FsOp::kTempfile: return make_temp(j);
    case FsOp::kOpen: j.fd = ::open(j.path.c_str(), j.flags | O_CLOEXEC, 0666); return j.fd < 0 ? errno : 0;
    case FsOp::kReadChunk: return read_chunk(j);
    case FsOp::kWriteChunk: return write_all(j.fd, j.data);
    case FsOp::kClose: return ::close(j.fd) == 0 ? 0 : errno;
  }
  return EINVAL;
}

// ---- the loop side: results as Valk values -----------------------------------------------------

const char* kind_of(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "link";
  return "other";
}

Value stat_dict(Heap& heap, const struct stat& st) {
  Value d = dict_empty(heap);
  d = dict_assoc(heap, d, make_string(heap, "size"), make_int(heap, int64_t(st.st_size)));
  d = dict_assoc(heap, d, make_string(heap, "type"), make_string(heap, kind_of(st.st_mode)));
  d = dict_assoc(heap, d, make_string(heap, "mode"), make_int(heap, int64_t(st.st_mode & 07777)));
  double mtime = double(st.st_mtim.tv_sec) + double(st.st_mtim.tv_nsec) / 1e9;
  return dict_assoc(heap, d, make_string(heap, "mtime"), make_float(heap, mtime));
}

Value result_of(FsJob& j) {
  Heap& heap = j.vm->heap();
  switch (j.op) {
    case FsOp::kRead:
    case FsOp::kReadChunk:
    case FsOp::kTempfile: return make_string(heap, j.bytes);
    case FsOp::kList: {
      ListBuilder list(heap, true);
      for (const std::string& n : j.names) list.push(make_string(heap, n));
      return list.finish();
    }
    case FsOp::kStat: return stat_dict(heap, j.st);
    case FsOp::kOpen: return make_int(heap, j.fd);
    case FsOp::kWrite:
    case FsOp::kAppend:
    case FsOp::kMkdir:
    case FsOp::kRemove:
    case FsOp::kRename:
    case FsOp::kWriteChunk:
    case FsOp::kClose: return Value::empty_sexpr();
  }
  return Value::empty_sexpr();
}

// "fs/read: /no/such: ENOENT (no such file or directory)"
std::string system_message(const char* fn, const std::string& what, int err) {
  return std::string(fn) + ": " + what + ": " + uv_err_name(-err) + " (" + uv_strerror(-err) + ")";
}

std::string subject(const FsJob& j) {
  switch (j.op) {
    case FsOp::kRename: return j.path + " -> " + j.path2;
    case FsOp::kTempfile: return j.path + "XXXXXX";
    case FsOp::kReadChunk:
    case FsOp::kWriteChunk:
    case FsOp::kClose: return "file descriptor " + std::to_string(j.fd);
    default: return j.path;
  }
}

void on_done(uv_work_t* w, int status) {
  auto* j = static_cast<FsJob*>(w->data);
  Loop& loop = j->vm->loop();
  if (!loop.closing()) {
    if (status != 0) j->err = ECANCELED;
    Value future = loop.kept(j->future);
    if (j->err) {
      loop.settle(future, false, j->vm->error(system_message(j->fn, subject(*j), j->err)));
    } else {
      loop.settle(future, true, result_of(*j));
    }
    loop.release(j->future);
  }
  delete j;
}

Value start(VM& vm, FsJob* j) {
  Value future = vm.loop().make_future(false);
  j->vm = &vm;
  j->future = vm.loop().keep(future);
  j->work.data = j;
  int r = uv_queue_work(vm.loop().uv(), &j->work, [](uv_work_t* w) {
    auto* job = static_cast<FsJob*>(w->data);
    job->err = run_op(*job);
  }, on_done);
  if (r != 0) {
    vm.loop().release(j->future);
    std::string message = system_message(j->fn, subject(*j), -r);
    delete j;
    return vm.error(message);
  }
  return future;
}

// ---- argument checks ------------------------------------------------------------------------------

// A path: a String without NUL bytes (the system would cut it there).
Value path_arg(VM& vm, const char* fn, Args a, uint32_t i, std::string& out) {
  if (!is_string(a[i])) return arg_error(vm, fn, i, "a String", a[i]);
  std::string_view p = a[i].as<String>()->view();
  if (p.empty()) return vm.error(std::string(fn) + ": the path is empty");
  if (p.find('\0') != std::string_view::npos) return vm.error(std::string(fn) + ": the path contains a NUL byte");
  out.assign(p);
  return Value::undefined();
}

Value fd_arg(VM& vm, const char* fn, Args a, int& out) {
  if (!is_int(a[0])) return arg_error(vm, fn, 0, "an Integer (a file descriptor from fs/open)", a[0]);
  int64_t fd = int_value(a[0]);
  if (fd < 0 || fd > INT32_MAX) return vm.error(std::string(fn) + ": not a file descriptor: " + std::to_string(fd));
  out = int(fd);
  return Value::undefined();
}

Value job_on_path(VM& vm, const char* fn, FsOp op, Args a) {
  auto* j = new FsJob;
  j->fn = fn;
  j->op = op;
  if (Value e = path_arg(vm, fn, a, 0, j->path); !e.is_undefined()) {
    delete j;
    return e;
  }
  return start(vm, j);
}

Value job_with_data(VM& vm, const char* fn, FsOp op, Args a) {
  if (!is_string(a[1])) return arg_error(vm, fn, 1, "a String", a[1]);
  auto* j = new FsJob;
  j->fn = fn;
  j->op = op;
  if (Value e = path_arg(vm, fn, a, 0, j->path); !e.is_undefined()) {
    delete j;
    return e;
  }
  j->data.assign(a[1].as<String>()->view());
  return start(vm, j);
}

// ---- builtins ---------------------------------------------------------------------------------------

Value builtin_read(VM& vm, Args a) { return job_on_path(vm, "fs/read", FsOp::kRead, a); }
Value builtin_write(VM& vm, Args a) { return job_with_data(vm, "fs/write", FsOp::kWrite, a); }
Value builtin_append(VM& vm, Args a) { return job_with_data(vm, "fs/append", FsOp::kAppend, a); }
Value builtin_list(VM& vm, Args a) { return job_on_path(vm, "fs/list", FsOp::kList, a); }
Value builtin_stat(VM& vm, Args a) { return job_on_path(vm, "fs/stat", FsOp::kStat, a); }
Value builtin_mkdir(VM& vm, Args a) { return job_on_path(vm, "fs/mkdir", FsOp::kMkdir, a); }
Value builtin_remove(VM& vm, Args a) { return job_on_path(vm, "fs/remove", FsOp::kRemove, a); }

Value builtin_rename(VM& vm, Args a) {
  auto* j = new FsJob;
  j->fn = "fs/rename";
  j->op = FsOp::kRename;
  Value e = path_arg(vm, j->fn, a, 0, j->path);
  if (e.is_undefined()) e = path_arg(vm, j->fn, a, 1, j->path2);
  if (!e.is_undefined()) {
    delete j;
    return e;
  }
  return start(vm, j);
}

// In $TMPDIR (else /tmp), named PREFIX then six random characters.
Value builtin_tempfile(VM& vm, Args a) {
  std::string prefix = "valk-";
  if (a.n == 1) {
    if (!is_string(a[0])) return arg_error(vm, "fs/tempfile", 0, "a String", a[0]);
    prefix.assign(a[0].as<String>()->view());
    if (prefix.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      return vm.error("fs/tempfile: the prefix may not contain / or a NUL byte");
    }
  }
  const char* dir = std::getenv("TMPDIR");
  auto* j = new FsJob;
  j->fn = "fs/tempfile";
  j->op = FsOp::kTempfile;
  j->path = std::string(dir && *dir ? dir : "/tmp") + "/" + prefix;
  return start(vm, j);
}

Value builtin_open(VM& vm, Args a) {
  int flags = O_RDONLY;
  if (a.n == 2) {
    if (!is_string(a[1])) return arg_error(vm, "fs/open", 1, "a String", a[1]);
    std::string_view mode = a[1].as<String>()->view();
    if (mode == "w") {
      flags = O_WRONLY | O_CREAT | O_TRUNC;
    } else if (mode == "a") {
      flags = O_WRONLY | O_CREAT | O_APPEND;
    } else if (mode != "r") {
      return vm.error("fs/open: the mode must be \"r\", \"w\" or \"a\", got \"" + std::string(mode) + "\"");
    }
  }
  auto* j = new FsJob;
  j->fn = "fs/open";
  j->op = FsOp::kOpen;
  j->flags = flags;
  if (Value e = path_arg(vm, j->fn, a, 0, j->path); !e.is_undefined()) {
    delete j;
    return e;
  }
  return start(vm, j);
}

Value builtin_read_chunk(VM& vm, Args a) {
  int fd;
  if (Value e = fd_arg(vm, "fs/read-chunk", a, fd); !e.is_undefined()) return e;
  if (!is_int(a[1])) return arg_error(vm, "fs/read-chunk", 1, "an Integer", a[1]);
  int64_t n = int_value(a[1]);
  if (n < 1 || uint64_t(n) > limits::kFsMaxChunkBytes) {
    return vm.error("fs/read-chunk: the size must be from 1 to " + std::to_string(limits::kFsMaxChunkBytes) +
                    ", got " + std::to_string(n));
  }
  auto* j = new FsJob;
  j->fn = "fs/read-chunk";
  j->op = FsOp::kReadChunk;
  j->fd = fd;
  j->count = size_t(n);
  return start(vm, j);
}

Value builtin_write_chunk(VM& vm, Args a) {
  int fd;
  if (Value e = fd_arg(vm, "fs/write-chunk", a, fd); !e.is_undefined()) return e;
  if (!is_string(a[1])) return arg_error(vm, "fs/write-chunk", 1, "a String", a[1]);
  auto* j = new FsJob;
  j->fn = "fs/write-chunk";
  j->op = FsOp::kWriteChunk;
  j->fd = fd;
  j->data.assign(a[1].as<String>()->view());
  return start(vm, j);
}

Value builtin_close(VM& vm, Args a) {
  int fd;
  if (Value e = fd_arg(vm, "fs/close", a, fd); !e.is_undefined()) return e;
  auto* j = new FsJob;
  j->fn = "fs/close";
  j->op = FsOp::kClose;
  j->fd = fd;
  return start(vm, j);
}

const BuiltinInfo kFs[] = {
    {"fs/read", "path", "A future of the whole file at path, as a String.", 1, 1, 0, 0, builtin_read, nullptr},
    {"fs/write", "path text", "A future of (), once text is the whole content of the file at path (created if needed).",
     2, 2, 0, 0, builtin_write, nullptr},
    {"fs/append", "path text", "A future of (), once text is added at the end of the file at path (created if needed).",
     2, 2, 0, 0, builtin_append, nullptr},
    {"fs/list", "path", "A future of the names in the directory at path (without . and ..), sorted.", 1, 1, 0, 0,
     builtin_list, nullptr},
    {"fs/stat", "path",
     "A future of a Dict about the file at path: \"size\" (bytes), \"type\" (\"file\", \"directory\", \"link\" "
     "or \"other\"), \"mode\" (permission bits) and \"mtime\" (seconds since 1970, a Float).",
     1, 1, 0, 0, builtin_stat, nullptr},
    {"fs/mkdir", "path", "A future of (), once the directory path is made (its parent must exist).", 1, 1, 0, 0,
     builtin_mkdir, nullptr},
    {"fs/remove", "path", "A future of (), once the file (or empty directory) at path is removed.", 1, 1, 0, 0,
     builtin_remove, nullptr},
    {"fs/rename", "from to", "A future of (), once from is renamed (moved) to to.", 2, 2, 0, 0, builtin_rename,
     nullptr},
    {"fs/tempfile", "[prefix]",
     "A future of the path of a new empty file in $TMPDIR (else /tmp), named prefix (default \"valk-\") and six "
     "random characters.",
     0, 1, builtinflag::kCallBare, 0, builtin_tempfile, nullptr},
    {"fs/open", "path [mode]",
     "A future of a file descriptor (an Integer) for path, opened to read (mode \"r\", the default), to write "
     "from empty (\"w\") or to append (\"a\"). Close it with fs/close.",
     1, 2, 0, 0, builtin_open, nullptr},
    {"fs/read-chunk", "fd n", "A future of the next at most n bytes of the file, as a String; \"\" at its end.", 2,
     2, 0, 0, builtin_read_chunk, nullptr},
    {"fs/write-chunk", "fd text", "A future of (), once text is written to the file.", 2, 2, 0, 0,
     builtin_write_chunk, nullptr},
    {"fs/close", "fd", "A future of (), once the file descriptor is closed.", 1, 1, 0, 0, builtin_close, nullptr},
};

}  // namespace

std::span<const BuiltinInfo> fs_builtins() { return kFs; }

}  // namespace valk
