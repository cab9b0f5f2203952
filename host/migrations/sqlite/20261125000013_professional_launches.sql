-- A service opened by a health professional from their own software, in a
-- patient's context (a contextual call): the handshake to the service's
-- site, and the session it opens, remember which professional launched it
-- and their profession, so that every invocation runs under the patient's
-- grant narrowed by the habilitation matrix, and stops when the patient
-- blocks the professional or closes their space.

ALTER TABLE service_handshakes ADD COLUMN launched_by TEXT;
ALTER TABLE service_handshakes ADD COLUMN profession TEXT;
ALTER TABLE service_sessions ADD COLUMN launched_by TEXT;
ALTER TABLE service_sessions ADD COLUMN profession TEXT;
