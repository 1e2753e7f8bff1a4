-- Lists of submissions, newest first, paged by (received_at, submission_id): one index for
-- an applicant unit's own list (and officials filtering by unit), one for officials' list
-- of every unit.
CREATE INDEX submissions_unit_newest ON submissions (perangkat_daerah, received_at DESC, submission_id DESC);
CREATE INDEX submissions_newest ON submissions (received_at DESC, submission_id DESC);
