#include "core/io/pickle.h"

#include "core/error.h"
#include "core/io/storage_types.h"
#include "core/io/zip_limits.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

namespace mlpify::core {

const PyPtr* PyValue::find(const std::string& key) const
{
    for (const auto& kv : dict)
        if (kv.first && kv.first->kind == Kind::Str && kv.first->s == key)
            return &kv.second;
    return nullptr;
}

namespace {

using Kind = PyValue::Kind;

// Containers deeper than this are refused: a state dict nests a handful of levels, and freeing a
// hostile pickle's 100,000-deep chain of shared_ptrs would recurse once per level.
constexpr size_t kMaxDepth = 1000;

torch::ScalarType storageType(const std::string& global)
{
    for (const auto& [name, type] : kTorchStorageTypes)
        if (global == std::string("torch.") + name)
            return type;
    throw std::runtime_error("unsupported tensor storage type " + global);
}

std::vector<int64_t> intTuple(const PyPtr& p)
{
    std::vector<int64_t> out;
    for (const auto& v : p->items)
        out.push_back(v->i);
    return out;
}

// A tensor record's view of its storage: checked here, with overflow in mind, before LibTorch
// computes anything from it. The view may not hold more elements than the storage either
// (only an expand()ed tensor does; a state dict never holds one), so a tiny file cannot make
// clone() allocate a 2^40-element tensor through zero strides.
void checkView(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides, int64_t offset,
               int64_t storageNumel)
{
    if (sizes.size() != strides.size())
        throw std::runtime_error("tensor record has " + std::to_string(sizes.size()) + " sizes but " +
                                 std::to_string(strides.size()) + " strides");
    int64_t numel = 1, last = offset;
    bool overflow = offset < 0;
    for (size_t d = 0; d < sizes.size() && !overflow; ++d) {
        int64_t reach = 0;
        overflow = sizes[d] < 0 || strides[d] < 0 || __builtin_mul_overflow(numel, sizes[d], &numel) ||
                   (sizes[d] > 0 && (__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) ||
                                     __builtin_add_overflow(last, reach, &last)));
    }
    if (overflow || numel > storageNumel || (numel > 0 && last >= storageNumel))
        throw std::runtime_error("tensor record's sizes, strides or offset reach outside its storage of " +
                                 std::to_string(storageNumel) + " elements");
}

class Unpickler {
public:
    Unpickler(caffe2::serialize::PyTorchStreamReader& reader, const char* data, size_t size)
        : m_reader(reader), m_data(data), m_size(size)
    {
    }

    Unpickler(const Unpickler&) = delete;
    Unpickler& operator=(const Unpickler&) = delete;

    // Whatever the result does not hold (everything, after an error) may form reference cycles
    // (a list appended to itself through the memo) that shared_ptr never frees: cut its links.
    ~Unpickler()
    {
        for (const auto& v : m_all) {
            if (m_kept.count(v.get()))
                continue;
            v->items.clear();
            v->dict.clear();
        }
    }

    PyPtr run()
    {
        auto result = execute();
        checkShape(result);
        return result;
    }

private:
    PyPtr make(Kind k)
    {
        auto p = std::make_shared<PyValue>();
        p->kind = k;
        m_all.push_back(p);
        return p;
    }

    // Iterative walk over what STOP returned: refuses cycles and nesting deeper than kMaxDepth,
    // so that neither model_io nor the shared_ptr destructors can recurse without bound.
    void checkShape(const PyPtr& root)
    {
        enum Mark : uint8_t { Open, Done };
        std::unordered_map<const PyValue*, std::pair<Mark, size_t>> seen; // state, height
        std::vector<std::pair<const PyValue*, bool>> work{{root.get(), false}};
        while (!work.empty()) {
            auto [v, leaving] = work.back();
            work.pop_back();
            std::vector<const PyValue*> children;
            for (const auto& c : v->items)
                children.push_back(c.get());
            for (const auto& kv : v->dict) {
                children.push_back(kv.first.get());
                children.push_back(kv.second.get());
            }
            if (leaving) {
                size_t height = 0;
                for (auto* c : children)
                    height = std::max(height, seen.at(c).second + 1);
                if (height > kMaxDepth)
                    throw std::runtime_error("pickle nests containers more than " + std::to_string(kMaxDepth) +
                                             " deep");
                seen[v] = {Done, height};
                m_kept.insert(v);
                continue;
            }
            auto [it, fresh] = seen.try_emplace(v, Open, 0);
            if (!fresh) {
                if (it->second.first == Open)
                    throw std::runtime_error("pickle holds a reference cycle");
                continue;
            }
            work.emplace_back(v, true);
            for (auto* c : children) {
                auto s = seen.find(c);
                if (s != seen.end() && s->second.first == Open)
                    throw std::runtime_error("pickle holds a reference cycle");
                if (s == seen.end())
                    work.emplace_back(c, false);
            }
        }
    }

    PyPtr execute()
    {
        for (;;) {
            const uint8_t op = byte();
            switch (op) {
            case 0x80: // PROTO
                byte();
                break;
            case 0x95: // FRAME
                take(8);
                break;
            case '.': // STOP
                if (m_stack.empty())
                    throw std::runtime_error("pickle stack is empty at STOP");
                return m_stack.back();
            case '(':
                m_marks.push_back(m_stack.size());
                break;
            case ')':
                push(make(Kind::Tuple));
                break;
            case ']':
                push(make(Kind::List));
                break;
            case '}':
                push(make(Kind::Dict));
                break;
            case 0x8f: // EMPTY_SET
                push(make(Kind::List));
                break;
            case 'N':
                push(make(Kind::None));
                break;
            case 0x88:
            case 0x89: {
                auto v = make(Kind::Bool);
                v->b = op == 0x88;
                push(v);
                break;
            }
            case 'K':
                pushInt(byte());
                break;
            case 'M': {
                const auto* p = take(2);
                pushInt(static_cast<uint8_t>(p[0]) | (static_cast<uint8_t>(p[1]) << 8));
                break;
            }
            case 'J': {
                int32_t v;
                std::memcpy(&v, take(4), 4);
                pushInt(v);
                break;
            }
            case 0x8a: { // LONG1: little-endian two's complement
                const size_t n = byte();
                const auto* p = reinterpret_cast<const uint8_t*>(take(n));
                if (n > 8)
                    throw std::runtime_error("integer wider than 64 bits");
                uint64_t v = 0;
                for (size_t k = 0; k < n; ++k)
                    v |= static_cast<uint64_t>(p[k]) << (8 * k);
                if (n > 0 && n < 8 && (p[n - 1] & 0x80))
                    v |= ~uint64_t(0) << (8 * n);
                pushInt(static_cast<int64_t>(v));
                break;
            }
            case 'G': { // BINFLOAT, big-endian
                const auto* p = reinterpret_cast<const uint8_t*>(take(8));
                uint64_t bits = 0;
                for (int k = 0; k < 8; ++k)
                    bits = (bits << 8) | p[k];
                auto v = make(Kind::Float);
                std::memcpy(&v->f, &bits, 8);
                push(v);
                break;
            }
            case 'X':
            case 'B':
            case 'T':
                pushString(op == 'B' ? Kind::Bytes : Kind::Str, u32());
                break;
            case 0x8c:
            case 'C':
            case 'U':
                pushString(op == 'C' ? Kind::Bytes : Kind::Str, byte());
                break;
            case 0x8d:
            case 0x8e: {
                uint64_t n;
                std::memcpy(&n, take(8), 8);
                pushString(op == 0x8e ? Kind::Bytes : Kind::Str, n);
                break;
            }
            case 'I':
            case 'L': {
                std::string line = readLine();
                if (!line.empty() && line.back() == 'L')
                    line.pop_back();
                if (line == "01" || line == "00") {
                    auto v = make(Kind::Bool);
                    v->b = line == "01";
                    push(v);
                } else {
                    pushInt(std::stoll(line));
                }
                break;
            }
            case 'F': {
                auto v = make(Kind::Float);
                v->f = std::stod(readLine());
                push(v);
                break;
            }
            case 'c': {
                auto g = make(Kind::Global);
                const std::string module = readLine();
                g->s = module + "." + readLine();
                push(g);
                break;
            }
            case 0x93: { // STACK_GLOBAL
                auto name = pop();
                auto module = pop();
                auto g = make(Kind::Global);
                g->s = module->s + "." + name->s;
                push(g);
                break;
            }
            case 'q':
                m_memo[byte()] = top();
                break;
            case 'r':
                m_memo[u32()] = top();
                break;
            case 0x94:
                m_memo[m_memo.size()] = top();
                break;
            case 'h':
                push(memo(byte()));
                break;
            case 'j':
                push(memo(u32()));
                break;
            case '0':
                pop();
                break;
            case '2':
                push(top());
                break;
            case '1':
                popMark();
                break;
            case 't':
            case 'l': {
                auto v = make(op == 't' ? Kind::Tuple : Kind::List);
                v->items = popMark();
                push(v);
                break;
            }
            case 0x91: {
                auto v = make(Kind::List);
                v->items = popMark();
                push(v);
                break;
            }
            case 0x85:
            case 0x86:
            case 0x87: {
                auto v = make(Kind::Tuple);
                const int n = op - 0x84;
                v->items.resize(n);
                for (int k = n - 1; k >= 0; --k)
                    v->items[k] = pop();
                push(v);
                break;
            }
            case 'd': {
                auto v = make(Kind::Dict);
                auto items = popMark();
                for (size_t k = 0; k + 1 < items.size(); k += 2)
                    v->dict.emplace_back(items[k], items[k + 1]);
                push(v);
                break;
            }
            case 'a': {
                auto v = pop();
                top()->items.push_back(v);
                break;
            }
            case 'e':
            case 0x90: {
                auto items = popMark();
                auto& list = top()->items;
                list.insert(list.end(), items.begin(), items.end());
                break;
            }
            case 's': {
                auto v = pop();
                auto k = pop();
                setItem(top(), k, v);
                break;
            }
            case 'u': {
                auto items = popMark();
                for (size_t k = 0; k + 1 < items.size(); k += 2)
                    setItem(top(), items[k], items[k + 1]);
                break;
            }
            case 'Q': { // BINPERSID: ('storage', storage_type, key, location, numel)
                auto pid = pop();
                push(loadStorage(pid));
                break;
            }
            case 'R': {
                auto args = pop();
                auto fn = pop();
                push(call(fn, args));
                break;
            }
            case 0x81: { // NEWOBJ
                auto args = pop();
                auto cls = pop();
                auto o = make(Kind::Object);
                o->s = cls->s;
                o->items = args->items;
                push(o);
                break;
            }
            case 'b': { // BUILD
                auto state = pop();
                auto obj = top();
                // A dict's BUILD state is its instance attributes (state_dict()._metadata), not items.
                if (obj->kind == Kind::Object && state->kind == Kind::Dict)
                    obj->dict = state->dict;
                break; // tensors and dicts carry no state we use
            }
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                throw std::runtime_error(std::string("unsupported pickle opcode ") + hex + " at byte " +
                                         std::to_string(m_pos - 1));
            }
            }
        }
    }

    uint8_t byte() { return static_cast<uint8_t>(*take(1)); }
    uint32_t u32()
    {
        uint32_t v;
        std::memcpy(&v, take(4), 4);
        return v;
    }
    const char* take(size_t n)
    {
        if (n > m_size - m_pos)
            throw std::runtime_error("pickle data ends early (truncated file?)");
        const char* p = m_data + m_pos;
        m_pos += n;
        return p;
    }
    std::string readLine()
    {
        std::string out;
        for (char c = *take(1); c != '\n'; c = *take(1))
            out.push_back(c);
        return out;
    }
    void push(PyPtr v) { m_stack.push_back(std::move(v)); }
    void pushInt(int64_t i)
    {
        auto v = make(Kind::Int);
        v->i = i;
        push(v);
    }
    void pushString(Kind k, uint64_t n)
    {
        auto v = make(k);
        v->s.assign(take(n), n);
        push(v);
    }
    PyPtr pop()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            throw std::runtime_error("pickle stack underflow");
        auto v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    PyPtr top()
    {
        if (m_stack.empty())
            throw std::runtime_error("pickle stack underflow");
        return m_stack.back();
    }
    PyPtr memo(size_t k)
    {
        auto it = m_memo.find(k);
        if (it == m_memo.end())
            throw std::runtime_error("pickle memo entry " + std::to_string(k) + " is missing");
        return it->second;
    }
    std::vector<PyPtr> popMark()
    {
        if (m_marks.empty())
            throw std::runtime_error("pickle MARK missing");
        const size_t m = m_marks.back();
        m_marks.pop_back();
        std::vector<PyPtr> out(m_stack.begin() + static_cast<std::ptrdiff_t>(m), m_stack.end());
        m_stack.resize(m);
        return out;
    }
    static void setItem(const PyPtr& d, const PyPtr& k, const PyPtr& v)
    {
        if (d->kind != Kind::Dict && d->kind != Kind::Object)
            throw std::runtime_error("SETITEM on something that is not a dict");
        d->dict.emplace_back(k, v);
    }

    PyPtr loadStorage(const PyPtr& pid)
    {
        if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->s != "storage")
            throw std::runtime_error("unsupported persistent id in pickle");
        const std::string key = pid->items[2]->s;
        auto cached = m_storages.find(key);
        if (cached != m_storages.end())
            return cached->second;
        const auto dtype = storageType(pid->items[1]->s);
        const int64_t numel = pid->items[4]->i;
        auto [ptr, size] = m_reader.getRecord("data/" + key);
        const size_t element = c10::elementSize(dtype);
        // Compared by division: numel * element can wrap around to the record's size.
        if (numel < 0 || size % element != 0 || static_cast<uint64_t>(numel) != size / element)
            throw std::runtime_error("tensor data record data/" + key + " has " + std::to_string(size) +
                                     " bytes, the pickle claims " + std::to_string(numel) + " elements of " +
                                     std::to_string(element) + " bytes");
        auto s = make(Kind::Storage);
        s->tensor = torch::from_blob(ptr.get(), {numel}, torch::TensorOptions().dtype(dtype)).clone();
        m_storages[key] = s;
        return s;
    }

    PyPtr call(const PyPtr& fn, const PyPtr& args, int depth = 0)
    {
        if (depth > 8) // _rebuild_from_type wraps one call; a chain of them is a hostile file
            throw std::runtime_error("tensor rebuild calls nested too deep");
        const std::string& name = fn->s;
        const auto& a = args->items;
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
            if (a.size() < 4 || a[0]->kind != Kind::Storage)
                throw std::runtime_error("malformed tensor record");
            const auto sizes = intTuple(a[2]), strides = intTuple(a[3]);
            checkView(sizes, strides, a[1]->i, a[0]->tensor.numel());
            auto t = make(Kind::Tensor);
            t->tensor = a[0]->tensor.as_strided(sizes, strides, a[1]->i).clone();
            return t;
        }
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state")
            return a.at(0);
        if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type")
            return call(a.at(0), a.at(2), depth + 1);
        if (name.rfind("torch.jit._pickle.", 0) == 0) // LibTorch's type tags and typed lists
            return a.at(0);
        if (name == "collections.OrderedDict") {
            auto d = make(Kind::Dict);
            for (const auto& pair : a.empty() ? std::vector<PyPtr>{} : a[0]->items)
                if (pair->items.size() == 2)
                    d->dict.emplace_back(pair->items[0], pair->items[1]);
            return d;
        }
        auto o = make(Kind::Object); // anything else (argparse.Namespace, numpy scalars): kept opaque
        o->s = name;
        o->items = a;
        return o;
    }

    caffe2::serialize::PyTorchStreamReader& m_reader;
    const char* m_data;
    size_t m_size;
    size_t m_pos = 0;
    std::vector<PyPtr> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<size_t, PyPtr> m_memo;
    std::unordered_map<std::string, PyPtr> m_storages;
    std::vector<PyPtr> m_all;                  // every value made, for the destructor
    std::unordered_set<const PyValue*> m_kept; // reachable from a checked result
};

} // namespace

PyPtr loadTorchFile(const std::string& path)
{
    if (!std::filesystem::exists(path))
        throw Error(path, "no such file");
    {
        std::ifstream in(path, std::ios::binary);
        char magic[2] = {0, 0};
        in.read(magic, 2);
        if (magic[0] != 'P' || magic[1] != 'K')
            throw Error(path, "not a PyTorch zip checkpoint (legacy pre-1.6 torch.save files are not supported; "
                              "re-save with a current PyTorch)");
    }
    checkZipRecordSizes(path);
    try {
        caffe2::serialize::PyTorchStreamReader reader(path);
        auto [ptr, size] = reader.getRecord("data.pkl");
        Unpickler unpickler(reader, static_cast<const char*>(ptr.get()), size);
        return unpickler.run();
    } catch (const Error&) {
        throw;
    } catch (const c10::Error& e) {
        throw Error(path, "corrupt or truncated checkpoint: " + std::string(e.what_without_backtrace()));
    } catch (const std::exception& e) {
        throw Error(path, "cannot read checkpoint: " + std::string(e.what()));
    }
}

} // namespace mlpify::core
