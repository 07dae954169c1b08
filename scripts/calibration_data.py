"""scripts/calibration_data.py: what the calibration scripts share (make
calibration, calibration-figures, calibration-fit, calibration-grid):
reading a CSV, the actual judgment of each charge, and the case a
published defendant belongs to."""
import csv

TERM_KINDS = {"fixed_term", "detention", "surveillance"}


def rows(path):
    """The rows of a CSV file (UTF-8, a byte-order mark allowed) as dicts."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def actuals(cases_path):
    """(case_no, defendant_no, offense) -> the charge's first act (act
    order), which carries its actual_* columns."""
    out = {}
    for r in sorted(rows(cases_path), key=lambda r: int(r.get("act_no") or 1)):
        out.setdefault((r["case_no"], r["defendant_no"], r["offense"]), r)
    return out


def case_group(case_no):
    """The case a published defendant belongs to: published-cases.csv labels
    each CASE-NAME (N09-郭); co-defendants share a judge and a judgment, so
    a fit leaves them out together."""
    return case_no.split("-", 1)[0]
