// File: opening (mmap or read), lookups, page release. Parsing is in gguf_parser.cpp.
#include "gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "gguf/gguf_parser.h"
#include "common/log.h"

namespace gguf {

namespace {

using assistant::ErrorCode;
using assistant::detail::makeError;

class FdGuard {
public:
    explicit FdGuard(int fd) : m_fd(fd) {}
    ~FdGuard() {
        if (m_fd >= 0) ::close(m_fd);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// Reads the whole file with pread (retrying on EINTR and short reads).
assistant::Status readAll(int fd, const std::string& path, std::vector<uint8_t>& out) {
    uint64_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return std::unexpected(makeError(ErrorCode::IoError, "cannot read '", path, "': ", std::strerror(errno)));
        if (n == 0)
            return std::unexpected(makeError(ErrorCode::IoError, "'", path, "' shrank while reading it (got ", done,
                                             " of ", out.size(), " bytes)"));
        done += static_cast<uint64_t>(n);
    }
    return {};
}

}  // namespace

File::~File() {
    if (m_mapping) ::munmap(m_mapping, m_bytes.size());
}

assistant::Result<std::unique_ptr<File>> File::open(const std::string& path, bool useMmap) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        return std::unexpected(makeError(ErrorCode::FileNotFound, "cannot open '", path, "': ", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return std::unexpected(makeError(ErrorCode::IoError, "cannot stat '", path, "': ", std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        return std::unexpected(makeError(ErrorCode::FileNotFound, "'", path, "' is not a regular file"));
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size == 0)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "'", path, "' is empty, not a GGUF file"));

    std::unique_ptr<File> file(new File());
    file->m_path = path;
    if (useMmap) {
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED)
            return std::unexpected(makeError(ErrorCode::IoError, "cannot mmap '", path, "' (", size,
                                             " bytes): ", std::strerror(errno)));
        file->m_mapping = p;
        file->m_bytes = std::span<const uint8_t>(static_cast<const uint8_t*>(p), size);
    } else {
        try {
            file->m_owned.resize(size);
        } catch (const std::bad_alloc&) {
            return std::unexpected(makeError(ErrorCode::OutOfMemory, "cannot allocate ", size, " bytes to read '",
                                             path, "'"));
        }
        if (auto read = readAll(fd.get(), path, file->m_owned); !read) return std::unexpected(read.error());
        file->m_bytes = file->m_owned;
    }
    if (auto parsed = Parser::parse(*file); !parsed) {
        assistant::Error error = parsed.error();
        error.message = path + ": " + error.message;
        return std::unexpected(std::move(error));
    }
    return file;
}

assistant::Result<std::unique_ptr<File>> File::fromMemory(std::span<const uint8_t> bytes) {
    std::unique_ptr<File> file(new File());
    file->m_path = "<memory>";
    file->m_bytes = bytes;
    if (auto parsed = Parser::parse(*file); !parsed) return std::unexpected(parsed.error());
    return file;
}

const Value* File::find(std::string_view key) const {
    auto it = m_keyIndex.find(key);
    return it == m_keyIndex.end() ? nullptr : &m_metadata[it->second].second;
}

std::optional<std::string_view> File::getString(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asString() : std::nullopt;
}

std::optional<uint64_t> File::getUInt(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asUInt() : std::nullopt;
}

std::optional<int64_t> File::getInt(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asInt() : std::nullopt;
}

std::optional<double> File::getFloat(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asFloat() : std::nullopt;
}

std::optional<bool> File::getBool(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asBool() : std::nullopt;
}

const Array* File::getArray(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asArray() : nullptr;
}

std::string File::archKey(std::string_view suffix) const {
    std::string key(getString("general.architecture").value_or(""));
    key += '.';
    key += suffix;
    return key;
}

const TensorInfo* File::tensor(std::string_view name) const {
    auto it = m_tensorIndex.find(name);
    return it == m_tensorIndex.end() ? nullptr : &m_tensors[it->second];
}

void File::release(const TensorInfo& tensor) const { releaseRange(tensor.data, tensor.bytes); }

void File::releaseRange(const void* data, size_t bytes) const {
    if (!m_mapping || !data || bytes == 0) return;
    const auto base = reinterpret_cast<uintptr_t>(m_mapping);
    const auto begin = reinterpret_cast<uintptr_t>(data);
    if (begin < base || begin - base > m_bytes.size() || bytes > m_bytes.size() - (begin - base)) return;
    // Only whole pages inside the range: a page shared with a neighbour stays resident.
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t first = (begin + page - 1) / page * page;
    const uintptr_t last = (begin + bytes) / page * page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace gguf
