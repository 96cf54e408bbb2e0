// Micro benchmarks of the sans-I/O receive and send paths for a CT-sized (512 KiB) data set:
// PDU decoding, DIMSE fragmentation and reassembly. Bytes/s are payload bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "dicom/dimse/command.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/ul/pdu.hpp"

namespace {

namespace ul = acc::dicom::ul;
namespace dimse = acc::dicom::dimse;

constexpr std::size_t kDataSetBytes = 512 * 1024;
constexpr uint32_t kMaxPdu128k = 128 * 1024;
constexpr uint32_t kMaxPdu16k = 16 * 1024;
constexpr uint8_t kPcId = 1;
constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

std::vector<uint8_t> pattern(std::size_t size) {
  std::vector<uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<uint8_t>(i * 31 + 5);
  }
  return bytes;
}

std::vector<uint8_t> store_command() {
  return dimse::encode_command(
      dimse::make_c_store_rq(1, kCtImageStorage, "1.2.826.0.1.3680043.2.1125.1.1"));
}

// A P-DATA-TF whose PDU-length is exactly 128 KiB: the largest PDU DCMTK sends.
void BM_DecodePData128KiB(benchmark::State& state) {
  const std::vector<uint8_t> fragment = pattern(kMaxPdu128k - 6);
  ul::PData pdata;
  pdata.pdvs.push_back({kPcId, 0x00, fragment});
  const std::vector<uint8_t> pdu = ul::encode(pdata);
  for (auto _ : state) {
    auto decoded = ul::decode_pdu(pdu);
    benchmark::DoNotOptimize(decoded);
    if (!decoded) {
      state.SkipWithError("decode_pdu failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pdu.size()));
}
BENCHMARK(BM_DecodePData128KiB);

void BM_FragmentMessage512KiB(benchmark::State& state) {
  const std::vector<uint8_t> command = store_command();
  const std::vector<uint8_t> data_set = pattern(kDataSetBytes);
  const auto max_pdu = static_cast<uint32_t>(state.range(0));
  std::size_t pdus = 0;
  for (auto _ : state) {
    auto fragments = dimse::fragment_message(kPcId, command, data_set, max_pdu);
    pdus = fragments.size();
    benchmark::DoNotOptimize(fragments);
  }
  state.counters["pdus"] = static_cast<double>(pdus);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kDataSetBytes));
}
BENCHMARK(BM_FragmentMessage512KiB)->Arg(kMaxPdu16k)->Arg(kMaxPdu128k);

// Reassembles the PDVs a 128 KiB-PDU sender produces for one C-STORE-RQ and its data set.
void BM_AssembleMessage512KiB(benchmark::State& state) {
  const std::vector<uint8_t> command = store_command();
  const std::vector<uint8_t> data_set = pattern(kDataSetBytes);
  const auto max_pdu = static_cast<uint32_t>(state.range(0));
  std::vector<ul::Pdv> pdvs;
  for (const auto& pdu : dimse::fragment_message(kPcId, command, data_set, max_pdu)) {
    // header[10] is the PC ID and header[11] the message control header (PS3.8 §9.3.5.1).
    pdvs.push_back({pdu.header[10], pdu.header[11], pdu.payload});
  }
  for (auto _ : state) {
    dimse::MessageAssembler assembler;
    std::size_t completed = 0;
    for (const auto& pdv : pdvs) {
      auto added = assembler.add(pdv);
      if (!added) {
        state.SkipWithError("MessageAssembler::add failed");
        break;
      }
      if (added->has_value()) {
        ++completed;
        benchmark::DoNotOptimize((*added)->data_set.data());
      }
    }
    if (completed != 1) {
      state.SkipWithError("message not completed");
      break;
    }
  }
  state.counters["pdvs"] = static_cast<double>(pdvs.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kDataSetBytes));
}
BENCHMARK(BM_AssembleMessage512KiB)->Arg(kMaxPdu16k)->Arg(kMaxPdu128k);

}  // namespace

BENCHMARK_MAIN();
