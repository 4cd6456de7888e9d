#!/usr/bin/env python3
"""The analyst's way: the Prevent position and quarterly return with pandas.

A vectorised pandas script doing what `prevent` does for the benchmark
workload, for `make bench` to time beside it: read the ESR staff XLSX, the
LMS completions CSV and the ESR competences XLSX; match email-keyed
completions to people; map course names to Prevent levels with the config's
globs; keep the latest completion per person and level on or before the
as-of date; work out each person's requirement (highest over their counted
assignments) and status; write the status CSV and the return CSV.

The rules are read from the prevent config (YAML) so that both sides
compute the same thing.

    python3 bench/pandas_prevent.py CONFIG AS_OF STAFF.xlsx LMS.csv ESR.xlsx OUTDIR
"""
import re
import sys

import pandas as pd
import yaml

HEADER_SCAN = 20


def glob_regex(patterns):
    """A case-insensitive glob set as one anchored regex over normalised text."""
    parts = []
    for p in patterns:
        p = " ".join(p.split()).lower()
        parts.append("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p))
    return "^(?:" + "|".join(parts) + ")$"


def norm(s):
    return s.fillna("").astype(str).str.strip().str.replace(r"\s+", " ", regex=True).str.lower()


def read_sheet(path, must):
    """The first sheet with a header row holding `must` within its first rows."""
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    for df in sheets.values():
        head = df.head(HEADER_SCAN).astype(str)
        for i in range(len(head)):
            if must in set(head.iloc[i].str.strip()):
                body = df.iloc[i + 1:]
                body.columns = [str(c).strip() for c in df.iloc[i]]
                return body
    raise SystemExit(f"{path}: no header row with {must!r}")


def emp_text(s):
    """Employee numbers as text: 12345678.0 -> 12345678."""
    s = s.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return s.where(s != "nan", "")


def main(config, as_of, staff_path, lms_path, esr_path, outdir):
    cfg = yaml.safe_load(open(config))
    as_of = pd.Timestamp(as_of)
    levels = {"basic": 1, "level3": 2, "face_to_face": 3}
    names = {1: "basic", 2: "level3", 3: "face_to_face"}
    years = cfg.get("refresher_years", 3)
    soon = cfg.get("due_soon_days", 90)
    threshold = cfg.get("threshold", 0.85)

    # Staff: one row per assignment.
    staff = read_sheet(staff_path, "Employee Number")
    staff = staff.dropna(how="all")
    staff["emp"] = emp_text(staff["Employee Number"])
    excl = (cfg.get("exclude") or {}).get("assignment_status") or []
    if excl:
        staff = staff[~norm(staff["Assignment Status"]).str.match(glob_regex(excl))]
    fields = {"staff_group": "Staff Group", "job_role": "Job Role", "organisation": "Organisation",
              "position_title": "Position Title", "occupation_code": "Occupation Code",
              "assignment_category": "Assignment Category", "assignment_status": "Assignment Status",
              "employee_number": "Employee Number"}
    req = pd.Series(0, index=staff.index)
    for rule in reversed(cfg.get("requirements") or []):  # first match wins
        m = pd.Series(True, index=staff.index)
        for field, pats in rule["match"].items():
            m &= norm(staff[fields[field]]).str.match(glob_regex(pats))
        req = req.where(~m, levels[rule["level"]])
    staff["req"] = req.where(req > 0, 1)
    staff["row"] = range(len(staff))
    staff["primary"] = staff["Primary"].astype(str).str.strip().str.lower().isin(["yes", "y", "true", "1"])
    main_rows = staff.sort_values(["emp", "primary", "row"], ascending=[True, False, True]).drop_duplicates("emp")
    people = main_rows[["emp", "Full Name", "Organisation"]].set_index("emp")
    people["req"] = staff.groupby("emp")["req"].max()
    emails = staff.assign(email=norm(staff["Email"]))
    owner = emails[emails["email"] != ""].drop_duplicates("email").set_index("email")["emp"]

    # Completions: the LMS CSV (dd/mm/yyyy text) and the ESR XLSX (dates).
    lms = pd.read_csv(lms_path, sep=";", dtype=str, keep_default_na=False)
    lms = pd.DataFrame({
        "emp": lms["Employee No"].str.strip(),
        "email": norm(lms["Email Address"]),
        "course": lms["Course Name"],
        "date": pd.to_datetime(lms["Completion Date"].str[:10], format="%d/%m/%Y", errors="coerce"),
    })
    esr = read_sheet(esr_path, "Employee Number")
    esr = esr.dropna(how="all")
    d = esr["Date Achieved"]
    dates = pd.to_datetime(d.where(d.map(lambda v: not isinstance(v, str))), errors="coerce")
    text = d.where(d.map(lambda v: isinstance(v, str)))
    dates = dates.fillna(pd.to_datetime(text, format="%d-%b-%Y", errors="coerce"))
    esr = pd.DataFrame({"emp": emp_text(esr["Employee Number"]), "email": "",
                        "course": esr["Competence Name"], "date": dates})
    done = pd.concat([lms, esr], ignore_index=True)
    done = done[done["date"].notna() & (done["date"] <= as_of)]
    by_email = done["emp"] == ""
    done.loc[by_email, "emp"] = done.loc[by_email, "email"].map(owner).fillna("")
    done = done[done["emp"] != ""]

    # Course names to levels, each distinct name matched once.
    course = norm(done["course"])
    uniq = pd.Series(course.unique())
    lvl = pd.Series(0, index=uniq.index)
    for rule in reversed(cfg.get("courses") or []):
        lvl = lvl.where(~uniq.str.match(glob_regex(rule["match"])), levels[rule["level"]])
    done["level"] = course.map(dict(zip(uniq, lvl)))
    done = done[done["level"] > 0]

    # Latest completion per person at or above each level.
    best = done.groupby(["emp", "level"])["date"].max().unstack("level")
    best = best.reindex(columns=[1, 2, 3])
    at_least = best[[3]].copy()
    at_least[2] = best[[2, 3]].max(axis=1)
    at_least[1] = best[[1, 2, 3]].max(axis=1)
    people = people.join(at_least, how="left")
    people["completed"] = pd.NaT
    for l in (1, 2, 3):
        m = people["req"] == l
        people.loc[m, "completed"] = people.loc[m, l]
    people["completed"] = pd.to_datetime(people["completed"])
    people["due"] = people["completed"] + pd.DateOffset(years=years)
    status = pd.Series("compliant", index=people.index)
    status[people["due"] <= as_of + pd.Timedelta(days=soon)] = "due_soon"
    status[people["due"] < as_of] = "expired"
    status[people["completed"].isna()] = "never"
    people["status"] = status
    people = people.sort_index()

    out = pd.DataFrame({
        "employee_number": people.index, "name": people["Full Name"].values,
        "organisation": people["Organisation"].values,
        "requirement": people["req"].map(names).values, "status": people["status"].values,
        "completed_on": people["completed"].dt.strftime("%Y-%m-%d").values,
        "due_date": people["due"].dt.strftime("%Y-%m-%d").values,
    })
    out.to_csv(f"{outdir}/status.csv", index=False)

    # The return: per organisation and in total.
    people["ok"] = people["status"].isin(["compliant", "due_soon"])
    def table(g):
        row = {"headcount": len(g)}
        meets = True
        for l in (1, 2, 3):
            r = int((g["req"] == l).sum())
            c = int(((g["req"] == l) & g["ok"]).sum())
            row[f"{names[l]}_required"], row[f"{names[l]}_compliant"] = r, c
            row[f"{names[l]}_pct"] = f"{(2000 * c + r) // (2 * r) / 10:.1f}" if r else ""
            meets &= r == 0 or c >= threshold * r
        row["all_compliant"] = int(g["ok"].sum())
        row["all_pct"] = f"{(2000 * row['all_compliant'] + len(g)) // (2 * len(g)) / 10:.1f}"
        row["meets_threshold"] = "yes" if meets else "no"
        return pd.Series(row)
    ret = people.groupby("Organisation").apply(table)
    ret.loc["TOTAL"] = table(people)
    ret.to_csv(f"{outdir}/return.csv")
    print(f"{len(people)} people, {len(done)} Prevent completions counted")


if __name__ == "__main__":
    if len(sys.argv) != 7:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
