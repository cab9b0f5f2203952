-- Which provider signed a session in, so that signing out of the pages
-- ends the session at that identity provider too (OpenID Connect's
-- RP-initiated logout), where it offers it.

ALTER TABLE web_sessions ADD COLUMN provider TEXT;
