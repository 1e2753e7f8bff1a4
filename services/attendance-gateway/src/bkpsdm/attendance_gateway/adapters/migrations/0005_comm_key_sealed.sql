-- Comm keys sealed with Fernet by the gateway; the key is in a file the database never sees.
-- Rows stored before keep the plaintext `comm_key` until a gateway configured with the secret
-- file starts and seals them (comm_key then holds 0). Drop `comm_key` once every deployment
-- runs with the secret file.
ALTER TABLE terminals ADD COLUMN comm_key_sealed text;
