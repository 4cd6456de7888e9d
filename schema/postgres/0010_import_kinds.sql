-- 0010: five kinds of imported file.
--
-- Besides staff extracts and completions, a trust imports exemptions,
-- referral logs and partnership-meeting logs. Every import is one row here,
-- whatever its kind, so that content offered again as another kind is
-- recognised by its sha256 and refused.
ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('staff', 'completions', 'exemptions', 'referrals', 'meetings'));
