// The writer of PyTorch zip files: the pickle program Python's torch.save itself emits for a dict
// of strings and tensors (protocol 2; tensors as torch._utils._rebuild_tensor_v2 over a persistent
// 'storage' id). LibTorch's torch::pickle_save writes TorchScript's typed dicts instead
// (torch.jit._pickle.restore_type_tag), which torch.load refuses under weights_only=True, its
// default from PyTorch 2.6 on; this program uses only the globals that mode allows.
#include "core/io/pickle.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/storage_types.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>

namespace mlpify::core {

namespace {

// Pickle opcodes (Python's Lib/pickle.py).
constexpr char kProto = '\x80', kStop = '.', kMark = '(', kEmptyDict = '}', kSetItems = 'u', kEmptyTuple = ')',
               kTuple = 't', kGlobal = 'c', kReduce = 'R', kBinPersId = 'Q', kBinUnicode = 'X', kBinInt = 'J',
               kLong1 = '\x8a', kNewFalse = '\x89';

bool littleEndian()
{
    const uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

class PickleWriter {
public:
    void str(const std::string& s)
    {
        m_out += kBinUnicode;
        uint32Le(static_cast<uint32_t>(s.size()));
        m_out += s;
    }

    void integer(int64_t v)
    {
        if (v >= INT32_MIN && v <= INT32_MAX) {
            m_out += kBinInt;
            uint32Le(static_cast<uint32_t>(static_cast<int32_t>(v)));
            return;
        }
        m_out += kLong1;
        m_out += static_cast<char>(8);
        for (int i = 0; i < 8; ++i)
            m_out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
    }

    void intTuple(c10::IntArrayRef values)
    {
        if (values.empty()) {
            m_out += kEmptyTuple;
            return;
        }
        m_out += kMark;
        for (const int64_t v : values)
            integer(v);
        m_out += kTuple;
    }

    void global(const char* module, const std::string& name)
    {
        m_out += kGlobal;
        m_out += module;
        m_out += '\n';
        m_out += name;
        m_out += '\n';
    }

    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()),
    // the storage a persistent id ('storage', torch.XStorage, key, 'cpu', numel) whose bytes are
    // the record data/KEY.
    void tensor(const torch::Tensor& t, const std::string& key)
    {
        global("torch._utils", "_rebuild_tensor_v2");
        m_out += kMark;
        m_out += kMark;
        str("storage");
        global("torch", storageName(t.scalar_type()));
        str(key);
        str("cpu");
        integer(t.numel());
        m_out += kTuple;
        m_out += kBinPersId;
        integer(0);
        intTuple(t.sizes());
        intTuple(t.strides());
        m_out += kNewFalse;
        global("collections", "OrderedDict");
        m_out += kEmptyTuple;
        m_out += kReduce;
        m_out += kTuple;
        m_out += kReduce;
    }

    void raw(char opcode) { m_out += opcode; }
    const std::string& bytes() const { return m_out; }

private:
    static std::string storageName(c10::ScalarType type)
    {
        for (const auto& [name, t] : kTorchStorageTypes)
            if (t == type)
                return name;
        throw std::runtime_error(std::string("no torch.save storage class for tensors of type ") + c10::toString(type));
    }

    void uint32Le(uint32_t v)
    {
        for (int i = 0; i < 4; ++i)
            m_out += static_cast<char>((v >> (8 * i)) & 0xff);
    }

    std::string m_out;
};

} // namespace

void saveTorchFile(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                   const std::vector<std::pair<std::string, std::string>>& strings, const std::string& nestUnder)
{
    if (!littleEndian())
        throw Error(path, "writing PyTorch files is supported on little-endian machines only");
    std::string zip;
    try {
        std::vector<torch::Tensor> data;
        PickleWriter p;
        p.raw(kProto);
        p.raw('\x02');
        const bool nested = !nestUnder.empty() || !strings.empty();
        if (nested) {
            p.raw(kEmptyDict);
            p.raw(kMark);
            for (const auto& [k, s] : strings) {
                p.str(k);
                p.str(s);
            }
            p.str(nestUnder.empty() ? "state_dict" : nestUnder);
        }
        p.raw(kEmptyDict);
        if (!tensors.empty()) {
            p.raw(kMark);
            for (const auto& [k, t] : tensors) {
                data.push_back(t.detach().to(torch::kCPU).contiguous());
                p.str(k);
                p.tensor(data.back(), std::to_string(data.size() - 1));
            }
            p.raw(kSetItems);
        }
        if (nested)
            p.raw(kSetItems);
        p.raw(kStop);

        caffe2::serialize::PyTorchStreamWriter writer([&zip](const void* buf, size_t n) {
            zip.append(static_cast<const char*>(buf), n);
            return n;
        });
        writer.writeRecord("data.pkl", p.bytes().data(), p.bytes().size());
        writer.writeRecord("byteorder", "little", 6);
        static const char kNothing = 0; // an empty tensor's data_ptr() may be null
        for (size_t i = 0; i < data.size(); ++i)
            writer.writeRecord("data/" + std::to_string(i), data[i].nbytes() ? data[i].data_ptr() : &kNothing,
                               data[i].nbytes());
        writer.writeEndOfFile();
    } catch (const c10::Error& e) {
        throw Error(path, "cannot serialise: " + std::string(e.what_without_backtrace()));
    } catch (const std::runtime_error& e) {
        throw Error(path, "cannot serialise: " + std::string(e.what()));
    }
    writeBytesAtomically(path, zip);
}

} // namespace mlpify::core
