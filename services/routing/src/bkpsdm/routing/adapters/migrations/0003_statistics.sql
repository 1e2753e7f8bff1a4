-- The published statistics select the cases opened in a year or month.
CREATE INDEX cases_opened ON cases (opened_at);
