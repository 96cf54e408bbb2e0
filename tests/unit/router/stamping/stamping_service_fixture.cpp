#include "tests/unit/router/stamping/stamping_service_fixture.hpp"

#include <dcmtk/config/osconfig.h>  // must precede other DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>

#include "dicom/dimse/status.hpp"
#include "router/receive/prepare_instance.hpp"
#include "tests/support/dcmtk_encode.hpp"

namespace acc::router::testing {

dicom::data::WorklistItem test_order(const std::string& accession, const std::string& modality,
                                     const std::string& time) {
  dicom::data::WorklistItem w;
  w.patient_id = "P1";
  w.patient_name = "DOE^JANE";
  w.patient_birth_date = "19700101";
  w.patient_sex = "F";
  w.accession_number = accession;
  w.modality = modality;
  w.sps_start_date = "20240102";
  w.sps_start_time = time;
  w.sps_status = "SCHEDULED";
  w.requested_procedure_id = "RP" + accession;
  return w;
}

void StampingServiceFixture::SetUp() {
  dir_ = std::filesystem::temp_directory_path() /
         ("acc-stamping-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  config_.worklist.enabled = true;
  config_.worklist.ae_title = "RIS";
  config_.worklist.host = "127.0.0.1";
  config_.worklist.port = 1;  // never contacted: the io_context below never runs
  config_.worklist.query_on_miss = false;
  config_.matching.hold_s = 3600;
  config_.matching.after_hold = config::AfterHoldPolicy::forward;
  configure(config_);
  auto store = queue::InstanceStore::open({dir_ / "store", /*sync=*/false});
  ASSERT_TRUE(store) << store.error().message();
  store_ = std::move(*store);
  worklist_.emplace(io_, config_.worklist, "ACCESSIONER", *store_);
  service_.emplace(config_, *store_, *worklist_, rules_, metrics_);
  service_->load_held();
}

void StampingServiceFixture::TearDown() {
  service_.reset();
  worklist_.reset();
  if (store_) {
    store_->close();
  }
  store_.reset();
  std::filesystem::remove_all(dir_);
}

void StampingServiceFixture::restart() {
  service_.emplace(config_, *store_, *worklist_, rules_, metrics_);
  service_->load_held();
}

std::vector<uint8_t> StampingServiceFixture::data_set_of(const TestInstance& t,
                                                         const std::string& sop) {
  DcmDataset ds;
  ds.putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
  ds.putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
  ds.putAndInsertString(DCM_StudyInstanceUID, t.study_uid.c_str());
  ds.putAndInsertString(DCM_SeriesInstanceUID, (t.study_uid + ".1").c_str());
  ds.putAndInsertString(DCM_PatientID, t.patient_id.c_str());
  ds.putAndInsertString(DCM_PatientName, t.patient_name.c_str());
  ds.putAndInsertString(DCM_PatientBirthDate, t.birth_date.c_str());
  ds.putAndInsertString(DCM_PatientSex, t.sex.c_str());
  ds.putAndInsertString(DCM_StudyDate, t.study_date.c_str());
  ds.putAndInsertString(DCM_StudyTime, t.study_time.c_str());
  ds.putAndInsertString(DCM_Modality, t.modality.c_str());
  ds.putAndInsertString(DCM_StationName, t.calling_ae.c_str());
  if (t.pixel_bytes > 0) {
    std::vector<uint8_t> pixels(t.pixel_bytes);
    for (std::size_t i = 0; i < pixels.size(); ++i) {
      pixels[i] = static_cast<uint8_t>(i * 31 + 7);
    }
    ds.putAndInsertUint8Array(DCM_PixelData, pixels.data(),
                              static_cast<unsigned long>(pixels.size()));
  }
  return test::encode_data_set(ds);
}

PreparedInstance StampingServiceFixture::prepared(const TestInstance& t, int64_t now_ms) {
  const std::string sop = "1.2.826.0.1.3680043.10.543.2." + std::to_string(next_sop_++);
  const auto bytes = data_set_of(t, sop);
  const dicom::net::AcceptedContext ctx{1, UID_CTImageStorage,
                                        UID_LittleEndianExplicitTransferSyntax};
  PreparedInstance p =
      prepare_instance(dicom::dimse::make_c_store_rq(1, UID_CTImageStorage, sop), ctx, bytes);
  EXPECT_EQ(p.status, dicom::dimse::status::kSuccess) << p.error_comment;
  p.record.calling_ae = t.calling_ae;
  p.record.received_at_ms = now_ms;
  p.record.destinations = {"PACS"};
  return p;
}

PreparedInstance StampingServiceFixture::prepared_spooled(const TestInstance& t, int64_t now_ms) {
  const std::string sop = "1.2.826.0.1.3680043.10.543.2." + std::to_string(next_sop_++);
  auto spool = SpoolFile::create(dir_ / "spool");
  EXPECT_TRUE(spool);
  EXPECT_TRUE(spool->append(data_set_of(t, sop)));
  const dicom::net::AcceptedContext ctx{1, UID_CTImageStorage,
                                        UID_LittleEndianExplicitTransferSyntax};
  PreparedInstance p =
      prepare_spooled_instance(dicom::dimse::make_c_store_rq(1, UID_CTImageStorage, sop), ctx,
                               std::make_shared<SpoolFile>(std::move(*spool)));
  EXPECT_EQ(p.status, dicom::dimse::status::kSuccess) << p.error_comment;
  p.record.calling_ae = t.calling_ae;
  p.record.received_at_ms = now_ms;
  p.record.destinations = {"PACS"};
  return p;
}

PreparedInstance StampingServiceFixture::receive(const TestInstance& t, int64_t now_ms) {
  PreparedInstance p = prepared(t, now_ms);
  service_->process(p, now_ms);
  if (p.status == dicom::dimse::status::kSuccess) {
    auto committed = store_->commit(p.record, p.part10);
    EXPECT_TRUE(committed) << committed.error().message();
    service_->hold_settled(p.record.study_instance_uid);
  }
  return p;
}

queue::InstanceRecord StampingServiceFixture::record(const std::string& sop_instance_uid) const {
  auto found = store_->find(sop_instance_uid);
  EXPECT_TRUE(found && *found) << sop_instance_uid;
  return found && *found ? **found : queue::InstanceRecord{};
}

}  // namespace acc::router::testing
