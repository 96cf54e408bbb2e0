// PACS emulator for the forwarding benchmark: a DCMTK Storage SCP (DcmSCPPool, one thread per
// association) that receives each C-STORE data set into memory, discards it, and logs the
// wall-clock arrival time (CLOCK_REALTIME, so it can be joined with times taken by another process)
// before answering success. storescp's log lines carry no timestamps, and `--exec-on-reception`
// forks a shell per instance, which would slow the sink down.
//
// Usage: acc_fwd_sink --port P --log FILE [--aet AE] [--max-pdu N] [--threads N]
//                     [--expect N --done FILE]
// Each arrival appends "unix_ns,sop_instance_uid" to FILE. With --expect, FILE_done is written
// (with the arrival time of the N-th distinct instance) once N distinct SOP Instance UIDs arrived,
// so a script can wait for a file instead of counting lines. Runs until killed.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scppool.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/oflog/oflog.h>

namespace {

struct Options {
  uint16_t port = 0;
  std::string aet = "SINK";
  uint32_t max_pdu = 131072;
  uint16_t threads = 16;
  std::string log;
  uint64_t expect = 0;
  std::string done;
};

// Shared by every worker thread; DcmSCPPool default-constructs the SCPs, so this is global.
struct ArrivalLog {
  std::mutex mutex;
  std::FILE* file = nullptr;
  std::unordered_set<std::string> seen;
  uint64_t expect = 0;
  std::string done;

  void record(const char* uid) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    std::lock_guard lock(mutex);
    std::fprintf(file, "%lld,%s\n", static_cast<long long>(ns), uid);
    std::fflush(file);
    if (seen.insert(uid).second && expect > 0 && seen.size() == expect) {
      if (std::FILE* f = std::fopen(done.c_str(), "w")) {
        std::fprintf(f, "%lld\n", static_cast<long long>(ns));
        std::fclose(f);
      }
    }
  }
};

ArrivalLog g_log;

class SinkScp : public DcmThreadSCP {
 protected:
  OFCondition handleIncomingCommand(T_DIMSE_Message* msg,
                                    const DcmPresentationContextInfo& info) override {
    if (msg->CommandField != DIMSE_C_STORE_RQ) {
      return DcmThreadSCP::handleIncomingCommand(msg, info);
    }
    T_DIMSE_C_StoreRQ& rq = msg->msg.CStoreRQ;
    DcmDataset* dataset = nullptr;
    OFCondition cond = receiveSTORERequest(rq, info.presentationContextID, dataset);
    if (cond.good()) {
      g_log.record(rq.AffectedSOPInstanceUID);
      cond = sendSTOREResponse(info.presentationContextID, rq, STATUS_Success);
    }
    delete dataset;
    return cond;
  }
};

bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--port") {
      options.port = static_cast<uint16_t>(std::stoul(value));
    } else if (key == "--aet") {
      options.aet = value;
    } else if (key == "--max-pdu") {
      options.max_pdu = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "--threads") {
      options.threads = static_cast<uint16_t>(std::stoul(value));
    } else if (key == "--log") {
      options.log = value;
    } else if (key == "--expect") {
      options.expect = std::stoull(value);
    } else if (key == "--done") {
      options.done = value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.port != 0 && !options.log.empty() &&
         (options.expect == 0 || !options.done.empty());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: acc_fwd_sink --port P --log FILE [--aet AE] [--max-pdu N] [--threads N]\n"
                 "       [--expect N --done FILE]\n");
    return 2;
  }
  g_log.file = std::fopen(options.log.c_str(), "a");
  if (g_log.file == nullptr) {
    std::perror(options.log.c_str());
    return 1;
  }
  g_log.expect = options.expect;
  // DcmSCP logs every message at INFO: a line per C-STORE would be the sink's own bottleneck.
  OFLog::configure(OFLogger::WARN_LOG_LEVEL);
  g_log.done = options.done;

  DcmSCPPool<SinkScp> pool;
  pool.setMaxThreads(options.threads);
  DcmSCPConfig& config = pool.getConfig();
  config.setPort(options.port);
  config.setAETitle(options.aet.c_str());
  config.setRespondWithCalledAETitle(OFTrue);
  config.setMaxReceivePDULength(options.max_pdu);
  config.setHostLookupEnabled(OFFalse);
  config.setConnectionBlockingMode(DUL_BLOCK);
  config.setDIMSEBlockingMode(DIMSE_BLOCKING);
  OFList<OFString> syntaxes;
  syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
  config.addPresentationContext(UID_VerificationSOPClass, syntaxes);
  for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) {
    config.addPresentationContext(dcmAllStorageSOPClassUIDs[i], syntaxes);
  }
  const OFCondition cond = pool.listen();
  std::fprintf(stderr, "acc_fwd_sink: %s\n", cond.text());
  return cond.good() ? 0 : 1;
}
