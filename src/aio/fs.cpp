// fs.cpp: the fs/ builtins: whole files (read, write, append), open files (open, read-chunk,
// read-line, write-chunk, close: File handles the collector closes), directories (list, mkdir,
// mkdir-p), stat, remove, rename, tempfile. Each returns a future at once; the system calls run on
// libuv's thread pool (as uv_fs_* does), so the loop and every other fiber go on meanwhile. Errors
// name the path and the system's reason (ENOENT ...).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aio/loop.h"
#include "config/limits.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/handle.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

enum class FsOp { kRead, kWrite, kAppend, kList, kStat, kMkdir, kMkdirP, kRemove, kRename, kTempfile, kOpen,
                  kReadChunk, kReadLine, kWriteChunk, kClose };

// An open file (fs/open): a Handle printed <File path mode>. The collector closes a file the
// program forgot. `busy` is set while a request on it is in flight: only that request's worker
// touches `buffer` and `eof` then, and a second request is refused, so reads never interleave.
struct FileRef : HostRef {
  int fd = -1;  // -1 once fs/close was called
  std::string path;
  std::string mode;
  std::string buffer;  // read ahead by fs/read-line, not yet returned
  bool eof = false;
  bool busy = false;
  ~FileRef() override {
    if (fd >= 0) ::close(fd);
  }
  const char* kind() const override { return "File"; }
  std::string describe() const override { return path + " " + mode + (fd < 0 ? " closed" : ""); }
};

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
  FileRef* file = nullptr;      // the open file it works on; kept alive through `handle`
  uint32_t handle = UINT32_MAX; // kept in the loop while the request is in flight
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

// Reads on until the buffer holds a newline, the file ends, or the line is too long.
int read_line(FsJob& j) {
  FileRef& f = *j.file;
  char buf[65536];
  while (f.buffer.size() <= limits::kFsMaxLineBytes) {
    ssize_t n = ::read(j.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) {
      f.eof = true;
      return 0;
    }
    f.buffer.append(buf, size_t(n));
    if (std::memchr(buf, '\n', size_t(n))) return 0;
  }
  return 0;
}

// mkdir -p: each missing directory along the path; one already there is fine.
int make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0777) == 0) continue;
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(part.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return err == EEXIST ? ENOTDIR : err;
  }
  return 0;
}

int run_op(FsJob& j) {
  switch (j.op) {
    case FsOp::kRead: return read_file(j);
    case FsOp::kWrite: return write_file(j, O_TRUNC);
    case FsOp::kAppend: return write_file(j, O_APPEND);
    case FsOp::kList: return list_dir(j);
    case FsOp::kStat: return ::stat(j.path.c_str(), &j.st) == 0 ? 0 : errno;
    case FsOp::kMkdir: return ::mkdir(j.path.c_str(), 0777) == 0 ? 0 : errno;
    case FsOp::kMkdirP: return make_dirs(j.path);
    case FsOp::kRemove: return remove_path(j);
    case FsOp::kRename: return ::rename(j.path.c_str(), j.path2.c_str()) == 0 ? 0 : errno;
    case FsOp::kTempfile: return make_temp(j);
    case FsOp::kOpen: j.fd = ::open(j.path.c_str(), j.flags | O_CLOEXEC, 0666); return j.fd < 0 ? errno : 0;
    case FsOp::kReadChunk: return read_chunk(j);
    case FsOp::kReadLine: return read_line(j);
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

// The next line of the file's buffer (without its newline; "\r" stays), () at the end of the
// file, an Error for a line past kFsMaxLineBytes, or undefined when more must be read first.
Value take_line(VM& vm, const char* fn, FileRef& f) {
  size_t nl = f.buffer.find('\n');
  size_t len = nl == std::string::npos ? f.buffer.size() : nl;
  if (len > limits::kFsMaxLineBytes) {
    f.buffer.clear();  // the next read goes on after what was read
    return vm.error(std::string(fn) + ": " + f.path + ": a line is longer than " +
                    std::to_string(limits::kFsMaxLineBytes) + " bytes");
  }
  if (nl == std::string::npos && !f.eof) return Value::undefined();
  if (nl == std::string::npos && f.buffer.empty()) return Value::empty_sexpr();
  Value line = make_string(vm.heap(), std::string_view(f.buffer).substr(0, len));
  f.buffer.erase(0, nl == std::string::npos ? len : nl + 1);
  return line;
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
    case FsOp::kOpen: {
      auto* f = new FileRef;
      f->fd = j.fd;
      f->path = j.path;
      f->mode = j.data;
      return make_handle(heap, f);
    }
    case FsOp::kReadLine: {
      Value line = take_line(*j.vm, j.fn, *j.file);
      return line.is_undefined() ? Value::empty_sexpr() : line;  // not reached: it read to a newline or the end
    }
    case FsOp::kWrite:
    case FsOp::kAppend:
    case FsOp::kMkdir:
    case FsOp::kMkdirP:
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
    default: return j.path;  // an open file's requests carry its path
  }
}

void on_done(uv_work_t* w, int status) {
  auto* j = static_cast<FsJob*>(w->data);
  Loop& loop = j->vm->loop();
  if (j->file) j->file->busy = false;
  if (!loop.closing()) {
    if (status != 0) j->err = ECANCELED;
    Value future = loop.kept(j->future);
    if (j->err) {
      loop.settle(future, false, j->vm->error(system_message(j->fn, subject(*j), j->err)));
    } else {
      loop.settle(future, true, result_of(*j));
    }
    loop.release(j->future);
    if (j->file) loop.release(j->handle);
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
    if (j->file) {
      j->file->busy = false;
      vm.loop().release(j->handle);
    }
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

// An open File (from fs/open) with no request in flight.
Value file_arg(VM& vm, const char* fn, Args a, FileRef*& out) {
  FileRef* f = handle_ref<FileRef>(a[0]);
  if (!f) return arg_error(vm, fn, 0, "a File (from fs/open)", a[0]);
  if (f->fd < 0) return vm.error(std::string(fn) + ": " + f->path + ": the file is closed");
  if (f->busy) return vm.error(std::string(fn) + ": " + f->path + ": another request on the file is in progress");
  out = f;
  return Value::undefined();
}

// A request on an open file: it keeps the File alive and marks it busy until it completes.
FsJob* file_job(VM& vm, const char* fn, FsOp op, Value handle, FileRef* f) {
  auto* j = new FsJob;
  j->fn = fn;
  j->op = op;
  j->file = f;
  j->fd = f->fd;
  j->path = f->path;
  j->handle = vm.loop().keep(handle);
  f->busy = true;
  return j;
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
Value builtin_mkdir_p(VM& vm, Args a) { return job_on_path(vm, "fs/mkdir-p", FsOp::kMkdirP, a); }
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
  std::string_view mode = "r";
  if (a.n == 2) {
    if (!is_string(a[1])) return arg_error(vm, "fs/open", 1, "a String", a[1]);
    mode = a[1].as<String>()->view();
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
  j->data.assign(mode);
  if (Value e = path_arg(vm, j->fn, a, 0, j->path); !e.is_undefined()) {
    delete j;
    return e;
  }
  return start(vm, j);
}

Value builtin_read_chunk(VM& vm, Args a) {
  FileRef* f;
  if (Value e = file_arg(vm, "fs/read-chunk", a, f); !e.is_undefined()) return e;
  if (!is_int(a[1])) return arg_error(vm, "fs/read-chunk", 1, "an Integer", a[1]);
  int64_t n = int_value(a[1]);
  if (n < 1 || uint64_t(n) > limits::kFsMaxChunkBytes) {
    return vm.error("fs/read-chunk: the size must be from 1 to " + std::to_string(limits::kFsMaxChunkBytes) +
                    ", got " + std::to_string(n));
  }
  if (!f->buffer.empty() || f->eof) {  // what fs/read-line read ahead comes first
    size_t take = std::min(f->buffer.size(), size_t(n));
    Value out = make_string(vm.heap(), std::string_view(f->buffer).substr(0, take));
    f->buffer.erase(0, take);
    Value future = vm.loop().make_future(false);
    vm.loop().settle(future, true, out);
    return future;
  }
  FsJob* j = file_job(vm, "fs/read-chunk", FsOp::kReadChunk, a[0], f);
  j->count = size_t(n);
  return start(vm, j);
}

Value builtin_read_line(VM& vm, Args a) {
  FileRef* f;
  if (Value e = file_arg(vm, "fs/read-line", a, f); !e.is_undefined()) return e;
  Value line = take_line(vm, "fs/read-line", *f);
  if (!line.is_undefined()) {  // a whole line was read ahead already: no request
    Value future = vm.loop().make_future(false);
    vm.loop().settle(future, !is_error(line), line);
    return future;
  }
  return start(vm, file_job(vm, "fs/read-line", FsOp::kReadLine, a[0], f));
}

Value builtin_write_chunk(VM& vm, Args a) {
  FileRef* f;
  if (Value e = file_arg(vm, "fs/write-chunk", a, f); !e.is_undefined()) return e;
  if (!is_string(a[1])) return arg_error(vm, "fs/write-chunk", 1, "a String", a[1]);
  FsJob* j = file_job(vm, "fs/write-chunk", FsOp::kWriteChunk, a[0], f);
  j->data.assign(a[1].as<String>()->view());
  return start(vm, j);
}

Value builtin_close(VM& vm, Args a) {
  FileRef* f;
  if (Value e = file_arg(vm, "fs/close", a, f); !e.is_undefined()) return e;
  FsJob* j = file_job(vm, "fs/close", FsOp::kClose, a[0], f);
  f->fd = -1;  // closed from now on; the request closes the descriptor
  f->buffer.clear();
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
    {"fs/mkdir-p", "path",
     "A future of (), once the directory path and every missing parent are made; as mkdir -p, a directory "
     "already there is no error.",
     1, 1, 0, 0, builtin_mkdir_p, nullptr},
    {"fs/remove", "path", "A future of (), once the file (or empty directory) at path is removed.", 1, 1, 0, 0,
     builtin_remove, nullptr},
    {"fs/rename", "from to", "A future of (), once from is renamed (moved) to to.", 2, 2, 0, 0, builtin_rename,
     nullptr},
    {"fs/tempfile", "[prefix]",
     "A future of the path of a new empty file in $TMPDIR (else /tmp), named prefix (default \"valk-\") and six "
     "random characters.",
     0, 1, builtinflag::kCallBare, 0, builtin_tempfile, nullptr},
    {"fs/open", "path [mode]",
     "A future of a File for path, opened to read (mode \"r\", the default), to write from empty (\"w\") or "
     "to append (\"a\"). Close it with fs/close (the collector closes a File nothing refers to).",
     1, 2, 0, 0, builtin_open, nullptr},
    {"fs/read-chunk", "file n", "A future of the next at most n bytes of the File, as a String; \"\" at its end.",
     2, 2, 0, 0, builtin_read_chunk, nullptr},
    {"fs/read-line", "file",
     "A future of the next line of the File, as a String without its newline; () at its end. The file is read "
     "by chunks, never whole.",
     1, 1, 0, 0, builtin_read_line, nullptr},
    {"fs/write-chunk", "file text", "A future of (), once text is written to the File.", 2, 2, 0, 0,
     builtin_write_chunk, nullptr},
    {"fs/close", "file", "A future of (), once the File is closed.", 1, 1, 0, 0, builtin_close, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> fs_builtins{kFs};

}  // namespace valk
