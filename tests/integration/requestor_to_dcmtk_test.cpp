// Our requestor library against DCMTK service providers: C-STORE and C-ECHO to storescp,
// Modality Worklist C-FIND (with and without cancel) to wlmscpfs (issue 2, test 9).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include <asio/io_context.hpp>

#include "dicom/data/sop_classes.hpp"
#include "dicom/net/association.hpp"
#include "dicom/net/scu.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/net.hpp"
#include "tests/support/peer_start.hpp"
#include "tests/support/process.hpp"
#include "tests/support/requestor_session.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

namespace net = acc::dicom::net;
namespace data = acc::dicom::data;

const std::filesystem::path kWorklistExamples = "/usr/share/doc/dcmtk/examples/wlistdb/OFFIS";

// A DCMTK provider listening on a free port, killed when the test ends. storescp and wlmscpfs
// refuse port 0, so launch_peer() moves to another free port if this one was taken meanwhile.
struct Peer {
  uint16_t port = free_port();
  ChildProcess process;

  void start(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    process = launch_peer({.name = argv[0],
                           .ports = {&port},
                           .spawn =
                               [&] {
                                 std::vector<std::string> full = argv;
                                 full.push_back(std::to_string(port));
                                 return ChildProcess::spawn({.argv = full, .log = log});
                               },
                           .log = [&] { return read_text(log); },
                           .timeout = std::chrono::seconds(20)});
  }
};

Result<net::Association::Ptr> associate(asio::io_context& io, uint16_t port,
                                        const std::string& called_ae,
                                        const std::vector<net::ProposedContext>& contexts) {
  return request_association(io, port, "ACC_IT_SCU", called_ae, contexts);
}

TEST(RequestorToDcmtk, CEchoAndCStoreToStorescpDeliverTheDataSetUnchanged) {
  TempDir dir("acc-storescp");
  std::filesystem::create_directories(dir / "in");
  Peer storescp;
  storescp.start({"storescp", "-v", "-aet", "STORESCP", "-od", (dir / "in").string(), "+xa"},
                 dir / "storescp.log");

  const DataSetBytes ct = read_data_set(kCtSmall);
  asio::io_context io;
  auto assoc = associate(io, storescp.port, "STORESCP",
                         {{data::kVerificationSopClass, {data::kImplicitVrLittleEndian}},
                          {ct.sop_class_uid, {ct.transfer_syntax_uid}}});
  ASSERT_TRUE(assoc) << assoc.error().message() << "\n" << read_text(dir / "storescp.log");
  const auto echo = run_awaitable(io, net::c_echo(**assoc));
  ASSERT_TRUE(echo) << echo.error().message();
  EXPECT_EQ(*echo, 0x0000);
  const auto stored = run_awaitable(io, net::c_store(**assoc, ct.sop_class_uid, ct.sop_instance_uid,
                                                     ct.transfer_syntax_uid, ct.bytes));
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(stored->status, 0x0000) << stored->error_comment;
  EXPECT_TRUE(run_awaitable(io, (*assoc)->release()));

  // storescp writes the file before it answers the C-STORE.
  std::vector<std::filesystem::path> received;
  for (const auto& e : std::filesystem::directory_iterator(dir / "in")) {
    received.push_back(e.path());
  }
  ASSERT_EQ(received.size(), 1u) << read_text(dir / "storescp.log");
  EXPECT_EQ(read_data_set(received[0]).transfer_syntax_uid, ct.transfer_syntax_uid);
  // storescp drops the Data Set Trailing Padding when it writes the file: compare the rest.
  EXPECT_EQ(ts_independent(dcmdump_data_set(received[0], dir.path())),
            ts_independent(dcmdump_data_set(kCtSmall, dir.path())));
}

class WorklistQuery : public testing::Test {
 protected:
  void SetUp() override {
    const auto db = dir_ / "OFFIS";
    std::filesystem::create_directories(db);
    for (const auto& e : std::filesystem::directory_iterator(kWorklistExamples)) {
      if (e.path().extension() == ".dump") {
        const auto wl = db / e.path().filename().replace_extension(".wl");
        const ToolResult r = run_tool({"dump2dcm", "-q", e.path().string(), wl.string()},
                                      dir_ / "dump2dcm.log", std::chrono::seconds(30));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        ++worklist_files_;
      } else if (e.path().extension() == ".wl") {
        std::filesystem::copy_file(e.path(), db / e.path().filename());
        ++worklist_files_;
      }
    }
    { std::ofstream lock(db / "lockfile"); }
    ASSERT_GT(worklist_files_, 0);
    wlmscpfs_.start({"wlmscpfs", "-v", "-dfp", dir_.path().string()}, dir_ / "wlmscpfs.log");
  }

  // Runs a universal worklist query; `keep_going` decides after each match.
  struct Outcome {
    Result<uint16_t> status;
    std::vector<std::string> patient_names;
  };
  Outcome query(const std::function<bool(std::size_t)>& keep_going) {
    asio::io_context io;
    auto assoc = associate(io, wlmscpfs_.port, "OFFIS",
                           {{data::kModalityWorklistFind,
                             {data::kExplicitVrLittleEndian, data::kImplicitVrLittleEndian}}});
    if (!assoc) {
      return {fail(assoc.error()), {}};
    }
    const auto* ctx = (*assoc)->info().find_context(data::kModalityWorklistFind);
    if (ctx == nullptr) {
      return {fail(net::AssocErrc::no_presentation_context, "MWL"), {}};
    }
    const std::string ts = ctx->transfer_syntax;
    const auto identifier = worklist_universal_query(ts);
    Outcome out{0, {}};
    out.status = run_awaitable(
        io,
        net::c_find(**assoc, data::kModalityWorklistFind, identifier,
                    [&](std::vector<uint8_t> match) {
                      out.patient_names.push_back(data_set_string(match, ts, 0x0010, 0x0010));
                      return keep_going(out.patient_names.size());
                    }),
        std::chrono::seconds(30));
    if (out.status) {
      const auto released = run_awaitable(io, (*assoc)->release());
      EXPECT_TRUE(released) << released.error().message();
    }
    return out;
  }

  TempDir dir_{"acc-wlm"};
  Peer wlmscpfs_;
  int worklist_files_ = 0;
};

TEST_F(WorklistQuery, UniversalQueryReturnsEveryWorklistItemThenSuccess) {
  const Outcome out = query([](std::size_t) { return true; });
  ASSERT_TRUE(out.status) << out.status.error().message() << "\n"
                          << tail(read_text(dir_ / "wlmscpfs.log"));
  EXPECT_EQ(*out.status, 0x0000);
  EXPECT_EQ(out.patient_names.size(), static_cast<std::size_t>(worklist_files_));
  for (const auto& name : out.patient_names) {
    EXPECT_FALSE(name.empty()) << "a match without PatientName";
  }
}

TEST_F(WorklistQuery, CancelAfterTheFirstMatchEndsTheQueryWithoutHanging) {
  const auto started = std::chrono::steady_clock::now();
  const Outcome out = query([](std::size_t) { return false; });
  ASSERT_TRUE(out.status) << out.status.error().message() << "\n"
                          << tail(read_text(dir_ / "wlmscpfs.log"));
  EXPECT_TRUE(*out.status == 0xFE00 || *out.status == 0x0000) << std::hex << *out.status;
  EXPECT_GE(out.patient_names.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace acc::test
