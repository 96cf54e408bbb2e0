#!/usr/bin/python3
"""Writes COUNT Modality Worklist files (*.wl) for DCMTK wlmscpfs into DIR.

Usage: benchmarks/make_worklist.py COUNT DIR [--date YYYYMMDD] [--seed N]

DIR is the called-AE-title folder that wlmscpfs serves (`wlmscpfs -dfp PARENT`, DIR = PARENT/AE);
it is created if needed and gets the empty `lockfile` wlmscpfs requires. Each item is one requested
procedure with one Scheduled Procedure Step on DATE (default: today, local time): Specific
Character Set ISO_IR 100 (names include Latin-1 letters), modality cycling CT/MR/US/CR, a Patient
ID shared by three consecutive items, a unique Accession Number (12 characters) and Study UID.

Files are Part-10 (file meta header, Explicit VR Little Endian). pydicom encodes one template per
modality; each file is a template with its per-item values written over fixed-width placeholders,
so every length pydicom encoded stays right and 100,000 files take seconds, not minutes.
"""

import argparse
import warnings
import datetime
import os
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import dcmwrite
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

WORKLIST_SOP_CLASS = "1.2.840.10008.5.1.4.31"
UID_ROOT = "1.2.826.0.1.3680043.10.99"

FAMILY = ["SMITH", "MÜLLER", "GARCIA", "NGUYEN", "ROSSI", "DUBOIS", "KOWALSKI", "JOHANSSON",
          "OKAFOR", "TANAKA", "SILVA", "BRENNAN", "HOFFMANN", "PETROV", "LINDQVIST", "ABADI"]
GIVEN = ["JOHN", "JÜRGEN", "MARIA", "LINH", "MARCO", "CLAIRE", "ANNA", "ERIK", "CHIDI", "YUKI",
         "ANA", "SEAN", "PETRA", "IVAN", "SOFIA", "OMAR", "LENA"]
# modality -> (requested procedure description, SPS description, scheduled station AE)
PROCEDURES = {
    "CT": ("CT CHEST WITH CONTRAST", "CT THORAX KM", "CT_SCANNER_1"),
    "MR": ("MR BRAIN WITHOUT CONTRAST", "MRT SCHAEDEL NATIV", "MR_3T"),
    "US": ("US ABDOMEN COMPLETE", "SONO ABDOMEN", "US_ROOM_2"),
    "CR": ("XR CHEST 2 VIEWS", "THORAX PA LAT", "CR_ROOM_1"),
}
MODALITIES = list(PROCEDURES)

# Per-item fields: placeholder character and fixed width (the values below are padded to it).
FIELDS = {"name": ("N", 32), "pid": ("P", 10), "birth": ("B", 8), "sex": ("X", 2),
          "acc": ("A", 12), "rpid": ("R", 12), "time": ("T", 6), "spsid": ("S", 12)}


def ph(field):
    char, width = FIELDS[field]
    return char * width


def template(date, modality, uid_width):
    rp_desc, sps_desc, station = PROCEDURES[modality]
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.AccessionNumber = ph("acc")
    ds.ReferringPhysicianName = "WELBY^MARCUS"
    ds.PatientName = ph("name")
    ds.PatientID = ph("pid")
    ds.IssuerOfPatientID = "HOSP_A"
    ds.PatientBirthDate = ph("birth")
    ds.PatientSex = ph("sex")
    ds.StudyInstanceUID = "U" * uid_width
    ds.RequestedProcedureID = ph("rpid")
    ds.RequestedProcedureDescription = rp_desc
    # Type 2 in the MWL IOD: present and empty (wlmscpfs otherwise adds them, with a warning).
    ds.ReferencedStudySequence = Sequence()
    ds.ReferencedPatientSequence = Sequence()
    sps = Dataset()
    sps.Modality = modality
    sps.ScheduledStationAETitle = station
    sps.ScheduledProcedureStepStartDate = date
    sps.ScheduledProcedureStepStartTime = ph("time")
    sps.ScheduledProcedureStepID = ph("spsid")
    sps.ScheduledProcedureStepDescription = sps_desc
    sps.ScheduledPerformingPhysicianName = "HOUSE^GREGORY"
    sps.ScheduledProcedureStepStatus = "SCHEDULED"
    ds.ScheduledProcedureStepSequence = Sequence([sps])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = WORKLIST_SOP_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = "U" * uid_width
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    buf = DicomBytesIO()
    dcmwrite(buf, ds, write_like_original=False)
    out = buf.getvalue()
    for field in FIELDS:
        assert out.count(ph(field).encode()) == 1, field
    assert out.count(b"U" * uid_width) == 2
    return out


def fixed(value, field):
    raw = value.encode("latin-1")
    width = FIELDS[field][1]
    if len(raw) > width:
        raise ValueError(f"{value!r} is longer than {width} bytes")
    return raw.ljust(width, b" ")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("count", type=int)
    p.add_argument("dir")
    p.add_argument("--date", default=datetime.date.today().strftime("%Y%m%d"),
                   help="Scheduled Procedure Step Start Date (default: today, local time)")
    p.add_argument("--seed", type=int, default=1, help="UID component, to tell runs apart")
    a = p.parse_args()
    warnings.filterwarnings("ignore", module="pydicom")  # the placeholders are not valid values
    if not 0 <= a.count <= 999_999_999 or len(a.date) != 8 or not a.date.isdigit() or a.seed < 1:
        p.error("COUNT must be 0..999999999, --date YYYYMMDD, --seed >= 1")

    # "1" + 9 digits: a fixed-width UID component without a leading zero.
    uid_prefix = f"{UID_ROOT}.{a.seed}.1"
    uid_width = len(uid_prefix) + 9
    templates = {m: template(a.date, m, uid_width) for m in MODALITIES}
    uid_ph = b"U" * uid_width

    os.makedirs(a.dir, exist_ok=True)
    open(os.path.join(a.dir, "lockfile"), "wb").close()
    for i in range(a.count):
        n = i + 1
        patient = i // 3
        modality = MODALITIES[i % len(MODALITIES)]
        name = f"{FAMILY[patient % len(FAMILY)]}^{GIVEN[(patient // 7) % len(GIVEN)]}^{patient}"
        birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=(patient * 37) % 32000)
        minute = (i * 7) % (12 * 60)
        values = {
            "name": fixed(name, "name"),
            "pid": fixed(f"PID{patient:07d}", "pid"),
            "birth": birth.strftime("%Y%m%d").encode(),
            "sex": b"M " if patient % 2 else b"F ",
            "acc": fixed(f"ACC{n:09d}", "acc"),
            "rpid": fixed(f"RP{n:010d}", "rpid"),
            "time": f"{7 + minute // 60:02d}{minute % 60:02d}00".encode(),
            "spsid": fixed(f"SPS{n:09d}", "spsid"),
        }
        t = templates[modality]
        for field, value in values.items():
            t = t.replace(ph(field).encode(), value, 1)
        t = t.replace(uid_ph, f"{uid_prefix}{n:09d}".encode())
        with open(os.path.join(a.dir, f"item{n:09d}.wl"), "wb") as f:
            f.write(t)
    print(f"{a.count} worklist item(s) for {a.date} in {a.dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
