-- An applicant's retry of the same POST (its response was lost) must not make a second
-- submission: the request's Idempotency-Key is kept, unique, with the submission it made.
ALTER TABLE submissions ADD COLUMN idempotency_key text UNIQUE;
